/** camelCase / PascalCase → snake_case, acronym-aware (`userID` → `user_id`, `HTTPServer` → `http_server`). */
export function toSnakeCase(s: string): string {
  // Fast path: nothing to convert (the common case for snake_case callers).
  let firstUpper = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) {
      firstUpper = i;
      break;
    }
  }
  if (firstUpper < 0) return s;

  let out = s.slice(0, firstUpper);
  for (let i = firstUpper; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) {
      if (i > 0 && out.charCodeAt(out.length - 1) !== 95 /* _ */) {
        const prev = s.charCodeAt(i - 1);
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        const prevLowerOrDigit = (prev >= 97 && prev <= 122) || (prev >= 48 && prev <= 57);
        const prevUpper = prev >= 65 && prev <= 90;
        const nextLower = next >= 97 && next <= 122;
        if (prevLowerOrDigit || (prevUpper && nextLower)) out += '_';
      }
      out += String.fromCharCode(c + 32);
    } else {
      out += s[i];
    }
  }
  return out;
}

/** Trims a caller-supplied column name and converts it to snake_case when the toggle is on. */
export function normalizeColumn(name: string, camelToSnake: boolean): string {
  const t = name.trim();
  return camelToSnake ? toSnakeCase(t) : t;
}
