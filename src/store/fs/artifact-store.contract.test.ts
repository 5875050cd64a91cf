import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeArtifactStore } from '../artifact-store.contract.js'
import { FsArtifactStore } from './artifact-store.js'

describeArtifactStore('local folder', async () => new FsArtifactStore(await mkdtemp(join(tmpdir(), 'wharf-fs-contract-'))))
