// Formatting of benchmark figures and the closing summary table.

export function ms(value: number): string {
  if (value >= 100) return `${value.toFixed(0)} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(2)} ms`;
}

export function count(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

export function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

/** A plain text table: the first row is the header, columns padded to their widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, col) => cell.padEnd(widths[col]!))
      .join("  ")
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

export function heading(text: string): void {
  console.log(`\n\x1b[1m== ${text}\x1b[0m`);
}
