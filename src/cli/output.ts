/** Where a command prints, and whether as JSON; tests pass `out` to capture the lines. */
export interface OutputOptions {
  readonly json?: boolean | undefined
  readonly out?: ((line: string) => void) | undefined
}

export const lineWriter = (options: OutputOptions) => options.out ?? ((line: string) => void process.stdout.write(`${line}\n`))

/** Prints `value` as JSON with --json, else the human lines (built only when needed). */
export function emit(options: OutputOptions, value: unknown, lines: () => readonly string[]): void {
  const out = lineWriter(options)
  if (options.json) out(JSON.stringify(value, null, 2))
  else for (const line of lines()) out(line)
}

/** Left-aligned columns, two spaces apart. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)]
}

/** A repeatable option's accumulator (`--param a=1 --param b=2`). */
export const repeatable = (value: string, all: string[] = []) => [...all, value]
