import type { WireNumber } from './api/types.js'

/** A wire double as a number ("NaN", "Infinity" spelled as strings on the wire). */
export function toNumber(v: WireNumber | null | undefined): number | undefined {
  if (v === null || v === undefined) return undefined
  if (typeof v === 'number') return v
  if (v === 'NaN') return Number.NaN
  if (v === 'Infinity') return Infinity
  if (v === '-Infinity') return -Infinity
  const n = Number(v)
  return Number.isNaN(n) ? undefined : n
}

export function formatNumber(v: WireNumber | null | undefined): string {
  const n = toNumber(v)
  if (n === undefined) return ''
  if (Number.isNaN(n)) return 'NaN'
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '−∞'
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n)
  const abs = Math.abs(n)
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return n.toExponential(4)
  return String(Number(n.toPrecision(6)))
}

const pad = (n: number) => String(n).padStart(2, '0')

/** Local time as `2026-12-06 21:08:36`: sortable, the same width in every row, any locale. */
export function formatTime(ms: number | null | undefined): string {
  if (!ms) return ''
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return ''
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`
  const h = Math.floor(m / 60)
  return `${h} h ${m % 60} min`
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return ''
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(2)} GB`
}

export function formatRelative(ms: number | null | undefined, now = Date.now()): string {
  if (!ms) return ''
  const s = Math.round((now - ms) / 1000)
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`
  return `${Math.round(s / 86_400)} d ago`
}
