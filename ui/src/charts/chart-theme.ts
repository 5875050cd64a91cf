/** Chart colours from the page's CSS variables, so charts follow the light or dark theme. */
export function chartTheme(): { axis: string; grid: string } {
  const css = getComputedStyle(document.documentElement)
  return { axis: css.getPropertyValue('--fg-muted').trim() || '#666', grid: css.getPropertyValue('--grid').trim() || '#ddd' }
}

// Okabe–Ito-like colours that stay apart for common colour-vision deficiencies, then evenly spaced hues.
const palette = {
  light: ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7a5195', '#3b3b3b', '#a6761d', '#1b9e77'],
  dark: ['#56b4e9', '#ff8c42', '#2ecc9a', '#e38fc4', '#f0c040', '#8fd3ff', '#b59ad8', '#d0d0d0', '#d9a45b', '#5fd3b5'],
}

export function seriesColor(i: number, scheme: 'light' | 'dark'): string {
  const fixed = palette[scheme]
  if (i < fixed.length) return fixed[i]!
  const hue = Math.round((i * 137.508) % 360)
  return scheme === 'dark' ? `hsl(${hue} 70% 65%)` : `hsl(${hue} 65% 42%)`
}
