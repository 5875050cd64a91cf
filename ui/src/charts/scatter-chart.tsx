import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import uPlot from 'uplot'
import { formatNumber } from '../format.js'
import { useColorScheme } from '../hooks.js'
import { chartTheme, seriesColor } from './chart-theme.js'

export interface ScatterPoint {
  readonly id: string
  readonly label: string
  /** A number, or any text (a categorical param: one column per distinct value). */
  readonly x: string | number | undefined
  readonly y: number | undefined
}

/**
 * One point per run: a param or metric across, a metric up. Text values (model names, booleans)
 * become evenly spaced categories. Hovering a point names its run.
 */
export function ScatterChart(props: { points: readonly ScatterPoint[]; label: string; xLabel: string; yLabel: string }) {
  const container = useRef<HTMLDivElement>(null)
  const scheme = useColorScheme()
  const [hovered, setHovered] = useState<ScatterPoint>()
  const usable = props.points.filter((p) => p.x !== undefined && p.x !== '' && p.y !== undefined && Number.isFinite(p.y))
  const isNumeric = usable.every((p) => typeof p.x === 'number' || (p.x !== undefined && p.x !== '' && Number.isFinite(Number(p.x))))
  const categories = isNumeric ? [] : [...new Set(usable.map((p) => String(p.x)))].sort()
  const xOf = (p: ScatterPoint) => (isNumeric ? Number(p.x) : categories.indexOf(String(p.x)))
  const sorted = [...usable].sort((a, b) => xOf(a) - xOf(b))
  const identity = JSON.stringify(sorted.map((p) => [p.id, p.x, p.y]))

  useLayoutEffect(() => {
    const el = container.current
    if (!el || sorted.length === 0) return
    const theme = chartTheme()
    const axis = { stroke: theme.axis, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid } }
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 300,
      scales: { x: { time: false, ...(isNumeric ? {} : { range: [-0.5, categories.length - 0.5] as uPlot.Range.MinMax }) } },
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 10 } },
      axes: [
        { ...axis, label: props.xLabel, labelSize: 18, ...(isNumeric ? {} : { splits: () => categories.map((_, i) => i), values: () => categories }) },
        { ...axis, label: props.yLabel, labelSize: 18, size: 64 },
      ],
      series: [
        {},
        { stroke: seriesColor(0, scheme), fill: seriesColor(0, scheme), paths: () => null, points: { show: true, size: 8, fill: seriesColor(0, scheme) } },
      ],
      hooks: {
        setCursor: [
          (u: uPlot) => {
            const i = u.cursor.idx
            setHovered(i === null || i === undefined ? undefined : sorted[i])
          },
        ],
      },
    }
    const u = new uPlot(opts, [sorted.map(xOf), sorted.map((p) => p.y!)], el)
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: 300 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      u.destroy()
    }
  }, [identity, scheme, props.xLabel, props.yLabel])

  if (sorted.length === 0) return <p class="muted">No run has both values.</p>
  return (
    <div>
      <div class="chart" ref={container} role="img" aria-label={props.label} data-points={sorted.length} />
      <p class="muted chart-hover" aria-live="polite">
        {hovered
          ? `${hovered.label}: ${props.xLabel} = ${String(hovered.x)}, ${props.yLabel} = ${formatNumber(hovered.y)}`
          : `${sorted.length} runs; point at one to name it.`}
      </p>
    </div>
  )
}
