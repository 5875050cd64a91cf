import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MlflowError } from '../errors.js'
import { parseEnvironments, servesGrpc } from './environments.js'

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
    assert.deepEqual(envs.get('dev'), { name: 'dev', target: 'local', authMode: 'key', grpc: false })
    assert.deepEqual(envs.get('staging'), { name: 'staging', target: 'local', authMode: 'key', port: 8100, grpc: false })
    const production = envs.get('production')
    assert.equal(production?.target, 'kubernetes')
    if (production?.target === 'kubernetes') {
      assert.equal(production.replicas, 3)
      assert.equal(production.servicePort, 80)
      assert.deepEqual(production.autoscaling, { minReplicas: 3, maxReplicas: 10, targetCpuUtilization: 70 })
      assert.deepEqual(production.service, { type: 'ClusterIP' })
      assert.equal(production.routerReplicas, 2)
    }
  })

  it('reads how a kubernetes endpoint is reached and where its images go, and refuses a bad registry', () => {
    const env = parseEnvironments(`
environments:
  production:
    target: kubernetes
    registry: myacr.azurecr.io/ml
    imagePullSecret: acr-pull
    authMode: none
    service: { type: NodePort, nodePort: 30080 }
    ingress: { host: fraud.example.com, tlsSecret: fraud-tls }
`).get('production')
    assert.ok(env?.target === 'kubernetes')
    assert.deepEqual(
      [env.registry, env.imagePullSecret, env.authMode, env.service, env.ingress],
      ['myacr.azurecr.io/ml', 'acr-pull', 'none', { type: 'NodePort', nodePort: 30080 }, { host: 'fraud.example.com', tlsSecret: 'fraud-tls' }],
    )
    assert.match(
      refusal('environments:\n  p: { target: kubernetes, registry: "https://acr.io" }'),
      /environments\.p\.registry: expected HOST\[:PORT\]\[\/PATH\]/,
    )
    assert.match(refusal('environments:\n  p: { target: kubernetes, service: { type: External } }'), /environments\.p\.service\.type/)
    assert.match(refusal('environments:\n  p: { target: local, authMode: token }'), /environments\.p\.authMode/)
  })

  it('reads the gRPC settings of every target, and refuses them malformed', () => {
    const envs = parseEnvironments(
      'environments:\n  a: { target: local, grpc: true }\n  b: { target: container, grpcPort: 9001 }\n  c: { target: local }\n  k: { target: kubernetes, grpc: true }\n  kp: { target: kubernetes, grpcPort: 9000 }\n  kn: { target: kubernetes }\n',
    )
    assert.deepEqual(
      ['a', 'b', 'c', 'k', 'kp', 'kn'].map((n) => servesGrpc(envs.get(n))),
      [true, true, false, true, true, false],
    )
    assert.match(refusal('environments:\n  p: { target: kubernetes, grpc: 1 }'), /environments\.p\.grpc: /)
    assert.match(refusal('environments:\n  p: { target: local, grpc: "yes" }'), /environments\.p\.grpc: /)
    assert.match(refusal('environments:\n  p: { target: local, grpcPort: 70000 }'), /environments\.p\.grpcPort: /)
  })

  it("reads a local environment's pyfunc worker settings, and refuses them elsewhere or malformed", () => {
    const envs = parseEnvironments('environments:\n  a: { target: local, pythonEnv: /opt/venv, allowPickle: true }\n  b: { target: local }\n')
    const a = envs.get('a')
    const b = envs.get('b')
    assert.ok(a?.target === 'local' && b?.target === 'local')
    assert.deepEqual([a.pythonEnv, a.allowPickle, b.pythonEnv, b.allowPickle], ['/opt/venv', true, undefined, undefined])
    assert.match(refusal('environments:\n  p: { target: kubernetes, pythonEnv: /opt/venv }'), /environments\.p: unknown key 'pythonEnv'/)
    assert.match(refusal('environments:\n  p: { target: local, allowPickle: "yes" }'), /environments\.p\.allowPickle: /)
    assert.match(refusal("environments:\n  p: { target: local, pythonEnv: '' }"), /environments\.p\.pythonEnv: /)
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

  it('reads monitoring settings with their defaults, and names a bad one', () => {
    const envs = parseEnvironments(
      'environments:\n  production:\n    monitoring:\n      logPredictions: { sampleRate: 0.1 }\n      drift: { windowRows: 500 }\n      alerts: { webhooks: [{ url: "https://hooks.example.com/d", secretEnv: DRIFT_SECRET }] }\n',
    )
    assert.deepEqual(envs.get('production')!.monitoring, {
      logPredictions: { sampleRate: 0.1, retentionDays: 30 },
      drift: { sampleRate: 1, windowRows: 500, psiThreshold: 0.25, ksThreshold: 0.3, minRows: 100 },
      alerts: { webhooks: [{ url: 'https://hooks.example.com/d', secretEnv: 'DRIFT_SECRET' }] },
    })
    assert.equal(parseEnvironments('environments:\n  staging: {}\n').get('staging')!.monitoring, undefined)
    assert.match(
      refusal('environments:\n  p: { monitoring: { logPredictions: { sampleRate: 1.5 } } }'),
      /^wharf\.yaml: environments\.p\.monitoring\.logPredictions\.sampleRate: /,
    )
    assert.equal(refusal('environments:\n  p: { monitoring: { log_predictions: {} } }'), "wharf.yaml: environments.p.monitoring: unknown key 'log_predictions'")
    assert.match(
      refusal('environments:\n  p: { monitoring: { alerts: { webhooks: [{ url: "ftp://x", secretEnv: S }] } } }'),
      /alerts\.webhooks\.0\.url: expected an http\(s\) URL/,
    )
  })
})
