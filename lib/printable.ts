// Text from hosts (file contents, stderr, status messages) is shown, never obeyed: control
// characters that a terminal would act on are printed as escapes. Line breaks and tabs
// stay; a carriage return, which could draw over what a line says, does not.

// C0 controls but \t and \n, DEL, C1 controls (\x9b is a CSI on some terminals), and the
// Unicode format characters that reorder or hide text (bidi overrides, isolates, marks).
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters to find and escape
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(char: string): string {
  const code = char.charCodeAt(0);
  if (char === '\r') return '\\r';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text with every character a terminal would act on shown as `\xHH` or `\uHHHH`. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/** JSON whose every unsafe character is a JSON escape, so printing it is as safe as reading it. */
export function printableJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(
    UNSAFE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The value with every string in it (keys too) made printable: for a renderer that adds escapes of its own (colour). */
export function printableValue<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map((item) => printableValue(item)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [printable(key), printableValue(item)])) as T;
  return value;
}

/** A value from outside (a file, the command line) for a sentence: as JSON, escaped, cut short; `none` when absent. */
export function quotedValue(value: unknown): string {
  if (value === undefined) return 'none';
  const text = printable(JSON.stringify(value));
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}
