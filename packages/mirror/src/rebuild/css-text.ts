/**
 * Comments and strings in CSS text, as the browser reads them: a comment to its end (an unterminated one to the end of
 * the text), a string to its closing quote on its line (a line's end ends it; an escaped one continues it). The
 * rebuild's rewrites of CSS text (sanitize.ts, state-css.ts) match these first and keep them as they are: what is
 * inside them is neither a url nor a selector. A regular expression's source, to put in a group of each rewrite's.
 */
export const COMMENT_OR_STRING = String.raw`\/\*[^]*?(?:\*\/|$)|"(?:[^"\\\n\r\f]|\\[^])*"|'(?:[^'\\\n\r\f]|\\[^])*'`;
