import { render } from 'preact'
import { useEffect } from 'preact/hooks'
import { Layout, PageHeader } from './components/layout.js'
import { Empty } from './components/states.js'
import { TokenDialog } from './components/token-dialog.js'
import { ComparePage } from './pages/compare-page.js'
import { DeploymentsPage } from './pages/deployments-page.js'
import { ExperimentsPage } from './pages/experiments-page.js'
import { ModelPage, ModelVersionPage } from './pages/model-page.js'
import { ModelsPage } from './pages/models-page.js'
import { PipelineRunPage, PipelinesPage } from './pages/pipelines-page.js'
import { RunPage } from './pages/run-page.js'
import { RunsPage } from './pages/runs-page.js'
import { Link, matchPath, navigate, useLocation } from './router.js'
import './styles.css'

const routes: [string, (p: Record<string, string>) => preact.JSX.Element][] = [
  ['/experiments', () => <ExperimentsPage />],
  ['/experiments/:id', (p) => <RunsPage experimentId={p.id!} />],
  ['/runs/:id', (p) => <RunPage runId={p.id!} />],
  ['/compare', () => <ComparePage />],
  ['/models', () => <ModelsPage />],
  ['/models/:name', (p) => <ModelPage name={p.name!} />],
  ['/models/:name/versions/:version', (p) => <ModelVersionPage name={p.name!} version={p.version!} />],
  ['/deployments', () => <DeploymentsPage />],
  ['/pipelines', () => <PipelinesPage />],
  ['/pipelines/runs/:id', (p) => <PipelineRunPage runId={p.id!} />],
]

const titles: [RegExp, string][] = [
  [/^\/experiments\/./, 'Runs'],
  [/^\/experiments/, 'Experiments'],
  [/^\/runs\//, 'Run'],
  [/^\/compare/, 'Compare runs'],
  [/^\/models/, 'Models'],
  [/^\/deployments/, 'Deployments'],
  [/^\/pipelines/, 'Pipelines'],
]

function App() {
  const location = useLocation()
  const path = location.path === '/' ? '/experiments' : location.path
  useEffect(() => {
    if (location.path === '/') navigate('/experiments', { replace: true })
    document.title = `${titles.find(([re]) => re.test(path))?.[1] ?? 'Wharf'} · Wharf`
  }, [path])
  let page: preact.JSX.Element | undefined
  for (const [pattern, view] of routes) {
    const params = matchPath(pattern, path)
    if (params) {
      // A new key per path: each page starts from its own state.
      page = (
        <div key={path} class="page">
          {view(params)}
        </div>
      )
      break
    }
  }
  return (
    <Layout>
      {page ?? (
        <section>
          <PageHeader title="Page not found" />
          <Empty>
            Nothing here. Go to the <Link href="/experiments">experiments</Link>.
          </Empty>
        </section>
      )}
      <TokenDialog />
    </Layout>
  )
}

render(<App />, document.getElementById('app')!)
