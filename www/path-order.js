// The one ordering of file paths used everywhere (predictions.txt, tables, evaluation order).

/**
 * Orders strings by their UTF-8 bytes, as the trainer sorts paths. UTF-8 byte order equals
 * Unicode code point order, which differs from JS's default UTF-16 code unit order only for
 * characters outside the Basic Multilingual Plane (e.g. emoji vs. U+E000–U+FFFF).
 */
export function compareBytewise(a, b) {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const d = x.value.codePointAt(0) - y.value.codePointAt(0);
    if (d !== 0) return d;
  }
}
