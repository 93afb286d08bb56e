// Reads a tar archive as GNU tar writes it (the files probe's `tar -c`): 512-byte headers,
// GNU 'L' long names, and the ustar prefix and pax `path` that other tars use. Only what the
// probe needs: each member's name, type flag and content; the rest of a header is skipped.
const BLOCK = 512;

export interface TarMember {
  name: string;
  /** '0' regular file, '5' folder, '2' symbolic link, … (as the header says; '\0' is read as '0'). */
  type: string;
  content: Buffer;
}

const text = (block: Buffer, start: number, length: number): string => {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
};

/** A numeric field: octal digits, or GNU's base-256 (high bit set) for large values. */
function number(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const digits = text(block, start, length).trim();
  if (!/^[0-7]*$/.test(digits)) throw new Error(`tar: a header field is not octal (${JSON.stringify(digits)})`);
  return digits === '' ? 0 : parseInt(digits, 8);
}

/** The checksum counts the header's bytes with its own field read as spaces. */
function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let index = 0; index < BLOCK; index += 1) sum += index >= 148 && index < 156 ? 32 : block[index];
  return sum === number(block, 148, 8);
}

function paxPath(records: Buffer): string | undefined {
  let offset = 0;
  let path: string | undefined;
  while (offset < records.length) {
    const space = records.indexOf(0x20, offset);
    const length = Number(records.subarray(offset, space).toString('ascii'));
    if (space < 0 || !Number.isInteger(length) || length <= 0) throw new Error('tar: a pax header record is malformed');
    const record = records.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (record.slice(0, equals) === 'path') path = record.slice(equals + 1);
    offset += length;
  }
  return path;
}

/** Every member of the archive, in order; throws on a damaged or truncated one. */
export function readTar(archive: Buffer): TarMember[] {
  const members: TarMember[] = [];
  let longName: string | undefined;
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) return members;
    if (!checksumOk(header)) throw new Error(`tar: the header at byte ${offset} has a bad checksum`);
    const size = number(header, 124, 12);
    const start = offset + BLOCK;
    if (start + size > archive.length) throw new Error('tar: the archive is cut short');
    const content = archive.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    const type = String.fromCharCode(header[156] || 0x30);
    if (type === 'L') {
      longName = text(content, 0, content.length);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(content) ?? longName;
      continue;
    }
    if (type === 'g' || type === 'K') continue;
    // Only POSIX ustar has a prefix field there; GNU's header ("ustar  ") keeps times in it.
    const prefix = header.toString('latin1', 257, 263) === 'ustar\0' ? text(header, 345, 155) : '';
    const name = longName ?? (prefix === '' ? text(header, 0, 100) : `${prefix}/${text(header, 0, 100)}`);
    longName = undefined;
    members.push({ name, type, content: Buffer.from(content) });
  }
  throw new Error('tar: the archive has no end');
}
