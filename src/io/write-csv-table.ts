/**
 * A PyMIC-style dataset list as text: the header line, then one line per row; a field holding a comma, a quote or a
 * line break is quoted ("" for a quote inside), as {@link readCsvTable} reads it back.
 */
export function csvText(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const field = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\n') + '\n';
}
