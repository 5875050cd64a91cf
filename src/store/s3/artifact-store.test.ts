import { skipWithout, testS3 } from '../../testing/object-stores.js'
import { describeArtifactStore } from '../artifact-store.contract.js'
import { S3ArtifactStore } from './artifact-store.js'

const s3 = await testS3()
if (s3) {
  // One bucket, a prefix inside it: the store must never reach outside the prefix either.
  const bucket = await s3.newBucket()
  describeArtifactStore('s3 (versitygw)', async () => new S3ArtifactStore({ bucket, prefix: `wharf/${Math.random().toString(36).slice(2)}` }, s3.config))
} else {
  skipWithout('versitygw', 'ArtifactStore contract: s3')
}
