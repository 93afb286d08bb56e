// Which form of a command's view a run gets: chosen once from the global options, so
// commands never ask. Each command's view (plan.ts, apply.ts, status.ts, …) is an
// interface with only what that command shows, and its two forms, text and JSON.
import type { Style } from '../plan/render-text.js';
import { directSink, type Sink } from './sink.js';

/** A command's view in its two forms: text for people, JSON for machines (one document on stdout). */
export interface ViewForms<View> {
  text(sink: Sink, style: Style): View;
  json(sink: Sink): View;
}

export function styleFor(options: { color: boolean }, stream: NodeJS.WriteStream = process.stdout): Style {
  return { color: options.color && !process.env.NO_COLOR && Boolean(stream.isTTY) };
}

/** The form of `forms` the global options ask for (--json, --no-color), writing to `sink`. */
export function viewFor<View>(
  forms: ViewForms<View>,
  options: { json: boolean; color: boolean },
  sink: Sink = directSink,
): View {
  return options.json ? forms.json(sink) : forms.text(sink, styleFor(options));
}
