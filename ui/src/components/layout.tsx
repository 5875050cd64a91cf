import type { ComponentChildren } from 'preact'
import { Link, useLocation } from '../router.js'

const sections = [
  { href: '/experiments', label: 'Experiments', match: /^\/(experiments|runs|compare)/ },
  { href: '/models', label: 'Models', match: /^\/models/ },
  { href: '/deployments', label: 'Deployments', match: /^\/deployments/ },
  { href: '/pipelines', label: 'Pipelines', match: /^\/pipelines/ },
]

export function Layout({ children }: { children: ComponentChildren }) {
  const { path } = useLocation()
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/experiments" class="brand" aria-label="Wharf home">
          <img src="/assets/favicon.svg" alt="" width={22} height={22} /> Wharf
        </Link>
        <nav aria-label="Sections">
          <ul>
            {sections.map((s) => (
              <li key={s.href}>
                <Link href={s.href} aria-current={s.match.test(path) ? 'page' : undefined}>
                  {s.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  )
}

/** A page's title row: heading, breadcrumbs, and actions on the right. */
export function PageHeader({
  title,
  crumbs,
  children,
}: {
  title: ComponentChildren
  crumbs?: { href: string; label: string }[]
  children?: ComponentChildren
}) {
  return (
    <div class="page-header">
      {crumbs && crumbs.length > 0 && (
        <nav aria-label="Breadcrumb" class="crumbs">
          {crumbs.map((c) => (
            <span key={c.href}>
              <Link href={c.href}>{c.label}</Link> /{' '}
            </span>
          ))}
        </nav>
      )}
      <div class="page-title-row">
        <h1>{title}</h1>
        {children && <div class="page-actions">{children}</div>}
      </div>
    </div>
  )
}
