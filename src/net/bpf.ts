// tcpdump's filter expression, checked word by word: only what BPF's grammar uses, nothing a
// shell or getopt reads (the capture verb and the capture step hand the words to tcpdump
// after `--`, never through a shell).

/** A word of a filter expression: letters, digits and BPF's operators, never a leading "-". */
const FILTER_WORD = /^[A-Za-z0-9_.:/()!&|<>=[\]+*%]+(?:-[A-Za-z0-9_.:/()!&|<>=[\]+*%]*)*$|^-$/;
export const MAX_FILTER_CHARS = 512;

/** The filter's words, and the first that is not a filter's (or that it is too long). */
export function filterWordsOf(filter: string): { words: string[]; bad?: string; tooLong?: boolean } {
  if (filter.length > MAX_FILTER_CHARS) return { words: [], tooLong: true };
  const words = filter.trim().split(/\s+/).filter(Boolean);
  const bad = words.find((w) => !FILTER_WORD.test(w));
  return { words, ...(bad !== undefined ? { bad } : {}) };
}

export const FILTER_WORD_RULE = 'letters, digits and . : / ( ) ! & | < > = [ ] + * % -, not first';
