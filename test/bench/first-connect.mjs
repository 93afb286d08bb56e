// What a command costs before it talks to a host: preload it (node --import
// ./test/bench/first-connect.mjs bin/bsync plan -c CONFIG) and it prints, at the first outgoing
// TCP connect, the time since the process started and the CPU used so far, then again at exit.
// A config whose hosts are 127.0.0.x on an unused port fails fast and touches nothing.
import { writeSync } from 'node:fs';
import net from 'node:net';

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return ((user + system) / 1000).toFixed(1);
};
const connect = net.Socket.prototype.connect;
let first = true;
net.Socket.prototype.connect = function (...args) {
  if (first) {
    first = false;
    writeSync(2, `first connect: ${performance.now().toFixed(1)} ms, CPU ${cpuMs()} ms\n`);
  }
  return connect.apply(this, args);
};
process.on('exit', () => writeSync(2, `exit: ${performance.now().toFixed(1)} ms, CPU ${cpuMs()} ms\n`));
