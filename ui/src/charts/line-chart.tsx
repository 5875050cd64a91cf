import { useEffect, useLayoutEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { useColorScheme } from '../hooks.js'
import { chartTheme, seriesColor } from './chart-theme.js'
import { smoothEma } from './smoothing.js'

export interface LineSeries {
  readonly id: string
  readonly label: string
  readonly steps: readonly number[]
  readonly values: readonly (number | null)[]
}

export interface StepRange {
  readonly min: number
  readonly max: number
}

export interface LineChartProps {
  readonly series: readonly LineSeries[]
  readonly label: string
  readonly logScale?: boolean
  /** 0 (none) to 0.99: exponential moving average, debiased as TensorBoard's. */
  readonly smoothing?: number
  readonly height?: number
  /** The whole history's steps: zooming out stops there, a reset returns there. */
  readonly fullRange?: StepRange | undefined
  /** Called (debounced) when the visible steps change; undefined after a reset. */
  readonly onRangeChange?: (range: StepRange | undefined) => void
}

const zoomStep = 0.75

const xScale = (u: uPlot): uPlot.Scale => u.scales.x ?? {}
const rangeDebounceMs = 120

function toAligned(series: readonly LineSeries[], logScale: boolean, smoothing: number): uPlot.AlignedData {
  const tables = series.map((s) => {
    let values: (number | null)[] = smoothing > 0 ? smoothEma(s.values, smoothing) : [...s.values]
    if (logScale) values = values.map((v) => (v !== null && v > 0 ? v : null))
    return [s.steps as number[], values] as unknown as uPlot.AlignedData
  })
  if (tables.length === 0) return [[]]
  return tables.length === 1 ? tables[0]! : uPlot.join(tables)
}

/**
 * Metric curves over steps on a canvas (uPlot: a few thousand points draw in milliseconds).
 * Zoom: drag across, the mouse wheel, or + / − on the focused chart; pan: shift-drag or ← / →;
 * reset: double-click or 0. The parent fetches finer points for the visible steps.
 */
export function LineChart(props: LineChartProps) {
  const container = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | undefined>(undefined)
  const scheme = useColorScheme()
  const rangeTimer = useRef(0)
  const propsRef = useRef(props)
  propsRef.current = props
  const logScale = props.logScale ?? false
  const smoothing = props.smoothing ?? 0
  const identity = props.series.map((s) => s.id).join('\n')

  const reportRange = (u: uPlot) => {
    clearTimeout(rangeTimer.current)
    rangeTimer.current = window.setTimeout(() => {
      const { min, max } = xScale(u)
      const full = propsRef.current.fullRange
      if (min === undefined || max === undefined) return
      const isFull = full !== undefined && min <= full.min && max >= full.max
      propsRef.current.onRangeChange?.(isFull ? undefined : { min, max })
    }, rangeDebounceMs)
  }

  // The chart is rebuilt when what it shows changes shape (series, scale, theme); data alone is swapped in place.
  useLayoutEffect(() => {
    const el = container.current
    if (!el) return
    const theme = chartTheme()
    const isLegendShown = props.series.length <= 12
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 320,
      scales: { x: { time: false }, y: logScale ? { distr: 3, log: 10 } : {} },
      legend: { show: isLegendShown, live: true },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 }, bind: { dblclick: () => null } },
      axes: [
        { stroke: theme.axis, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid }, label: 'step', labelSize: 18 },
        { stroke: theme.axis, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid }, size: 64 },
      ],
      series: [
        { label: 'step' },
        ...props.series.map((s, i) => ({ label: s.label, stroke: seriesColor(i, scheme), width: 1.5, spanGaps: true, points: { show: false } })),
      ],
      hooks: { setScale: [(u: uPlot, key: string) => key === 'x' && reportRange(u)] },
    }
    const u = new uPlot(opts, toAligned(props.series, logScale, smoothing), el)
    plot.current = u
    const detach = attachNavigation(u, el, () => propsRef.current.fullRange)
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: propsRef.current.height ?? 320 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      detach()
      clearTimeout(rangeTimer.current)
      u.destroy()
      plot.current = undefined
    }
  }, [identity, logScale, scheme, props.height])

  // New points for the same series (a finer sample after a zoom, new steps, smoothing): keep the zoom.
  const isFirst = useRef(true)
  useEffect(() => {
    if (isFirst.current) {
      isFirst.current = false
      return
    }
    const u = plot.current
    if (!u) return
    const { min, max } = xScale(u)
    u.setData(toAligned(props.series, logScale, smoothing), false)
    if (min !== undefined && max !== undefined) u.setScale('x', { min, max })
  }, [props.series, smoothing])

  const points = props.series.reduce((n, s) => n + s.steps.length, 0)
  return (
    <div
      class="chart"
      ref={container}
      // A chart that takes keys (zoom, pan) is an application in ARIA's terms, presented as a chart.
      role="application"
      aria-roledescription="chart"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the chart's keys (+ − ← → 0) need it focusable
      tabIndex={0}
      aria-label={`${props.label}. Zoom with + and −, pan with ← and →, reset with 0.`}
      data-series-count={props.series.length}
      data-points={points}
    />
  )
}

/** Wheel zoom, shift-drag pan and keyboard zoom/pan/reset on a uPlot chart. */
function attachNavigation(u: uPlot, el: HTMLElement, fullRange: () => StepRange | undefined): () => void {
  const extent = (): StepRange => {
    const full = fullRange()
    if (full) return full
    const xs = u.data[0]
    return { min: xs[0] ?? 0, max: xs[xs.length - 1] ?? 1 }
  }
  const setRange = (min: number, max: number) => {
    const full = extent()
    const span = Math.min(max - min, full.max - full.min)
    let lo = Math.max(full.min, min)
    let hi = lo + span
    if (hi > full.max) {
      hi = full.max
      lo = full.max - span
    }
    if (hi - lo < 1e-9) return
    u.setScale('x', { min: lo, max: hi })
  }
  const zoomAround = (x: number, factor: number) => {
    const { min = 0, max = 1 } = xScale(u)
    setRange(x - (x - min) * factor, x + (max - x) * factor)
  }
  const onWheel = (e: WheelEvent) => {
    e.preventDefault()
    const rect = u.over.getBoundingClientRect()
    zoomAround(u.posToVal(e.clientX - rect.left, 'x'), e.deltaY < 0 ? zoomStep : 1 / zoomStep)
  }
  let panFrom: { x: number; min: number; max: number } | undefined
  const onDown = (e: MouseEvent) => {
    if (!e.shiftKey && e.button !== 1) return
    e.stopPropagation()
    e.preventDefault()
    const { min = 0, max = 1 } = xScale(u)
    panFrom = { x: e.clientX, min, max }
  }
  const onMove = (e: MouseEvent) => {
    if (!panFrom) return
    const perPixel = (panFrom.max - panFrom.min) / u.over.clientWidth
    const shift = (panFrom.x - e.clientX) * perPixel
    setRange(panFrom.min + shift, panFrom.max + shift)
  }
  const onUp = () => (panFrom = undefined)
  const reset = () => {
    const full = extent()
    u.setScale('x', { min: full.min, max: full.max })
  }
  const onKey = (e: KeyboardEvent) => {
    const { min = 0, max = 1 } = xScale(u)
    const mid = (min + max) / 2
    const span = max - min
    if (e.key === '+' || e.key === '=') zoomAround(mid, zoomStep)
    else if (e.key === '-' || e.key === '_') zoomAround(mid, 1 / zoomStep)
    else if (e.key === 'ArrowLeft') setRange(min - span / 10, max - span / 10)
    else if (e.key === 'ArrowRight') setRange(min + span / 10, max + span / 10)
    else if (e.key === '0' || e.key === 'Home') reset()
    else return
    e.preventDefault()
  }
  u.over.addEventListener('wheel', onWheel, { passive: false })
  u.over.addEventListener('mousedown', onDown, { capture: true })
  u.over.addEventListener('dblclick', reset)
  window.addEventListener('mousemove', onMove)
  window.addEventListener('mouseup', onUp)
  el.addEventListener('keydown', onKey)
  return () => {
    u.over.removeEventListener('wheel', onWheel)
    u.over.removeEventListener('mousedown', onDown, { capture: true })
    u.over.removeEventListener('dblclick', reset)
    window.removeEventListener('mousemove', onMove)
    window.removeEventListener('mouseup', onUp)
    el.removeEventListener('keydown', onKey)
  }
}
