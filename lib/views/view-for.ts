// Which view a run gets: chosen once from the global options, so commands never ask.
import type { Style } from '../plan/render-text.js';
import { jsonView } from './json.js';
import { directSink, type Sink } from './sink.js';
import { textView } from './text.js';
import type { View } from './view.js';

export function styleFor(options: { color: boolean }, stream: NodeJS.WriteStream = process.stdout): Style {
  return { color: options.color && !process.env.NO_COLOR && Boolean(stream.isTTY) };
}

/** The view the global options ask for (--json, --no-color), writing to `sink`. */
export function viewFor(options: { json: boolean; color: boolean }, sink: Sink = directSink): View {
  return options.json ? jsonView(sink) : textView(styleFor(options), sink);
}
