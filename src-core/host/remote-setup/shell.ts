/** One word for `sh`: single-quoted, with embedded quotes closed and reopened. Pure. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The last non-empty line of a command's error output, for a reason (one line). */
export function lastLine(text: string): string {
  return text.trim().split('\n').map((line) => line.trim()).filter(Boolean).pop() ?? '';
}
