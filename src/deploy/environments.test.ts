import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MlflowError } from '../errors.js'
import { parseEnvironments } from './environments.js'

const refusal = (text: string) => {
  try {
    parseEnvironments(text)
  } catch (err) {
    assert.ok(err instanceof MlflowError)
    assert.equal(err.code, 'INVALID_PARAMETER_VALUE')
    return err.message
  }
  assert.fail('expected a refusal')
}

describe('environments in wharf.yaml', () => {
  it('reads local, container and kubernetes environments, with local as the default target', () => {
    const envs = parseEnvironments(`
pipelines: { ignored: true }
environments:
  dev: {}
  staging: { target: local, port: 8100 }
  qa: { target: container, runtime: podman }
  production:
    target: kubernetes
    namespace: ml-prod
    replicas: 3
    kubeconfig: /etc/kube/config
    autoscaling: { minReplicas: 3, maxReplicas: 10 }
    resources: { requests: { cpu: 250m, memory: 256Mi } }
`)
    assert.deepEqual([...envs.keys()], ['dev', 'staging', 'qa', 'production'])
    assert.deepEqual(envs.get('dev'), { name: 'dev', target: 'local' })
    assert.deepEqual(envs.get('staging'), { name: 'staging', target: 'local', port: 8100 })
    const production = envs.get('production')
    assert.equal(production?.target, 'kubernetes')
    if (production?.target === 'kubernetes') {
      assert.equal(production.replicas, 3)
      assert.equal(production.servicePort, 80)
      assert.deepEqual(production.autoscaling, { minReplicas: 3, maxReplicas: 10, targetCpuUtilization: 70 })
    }
  })

  it('has local staging and production environments when the file has none', () => {
    assert.deepEqual([...parseEnvironments('').keys()], ['staging', 'production'])
    assert.deepEqual([...parseEnvironments('pipelines: {}').keys()], ['staging', 'production'])
  })

  it('names the bad key when a value has the wrong type', () => {
    assert.match(refusal('environments:\n  production: { target: kubernetes, replicas: three }'), /^wharf\.yaml: environments\.production\.replicas: /)
  })

  it('names an unknown key instead of ignoring it', () => {
    assert.equal(refusal('environments:\n  staging: { target: local, replica: 2 }'), "wharf.yaml: environments.staging: unknown key 'replica'")
  })

  it('lists the targets when one is unknown', () => {
    assert.equal(
      refusal('environments:\n  staging: { target: aci }'),
      'wharf.yaml: environments.staging.target: expected one of local, container, kubernetes, got "aci"',
    )
  })

  it('refuses a port out of range and a namespace that is not a DNS label', () => {
    assert.match(refusal('environments:\n  staging: { port: 70000 }'), /environments\.staging\.port/)
    assert.match(refusal('environments:\n  p: { target: kubernetes, namespace: ML_Prod }'), /environments\.p\.namespace: expected a DNS label/)
  })

  it('refuses YAML that does not parse, saying so', () => {
    assert.match(refusal('environments: [unclosed'), /^wharf\.yaml: not valid YAML/)
  })
})
