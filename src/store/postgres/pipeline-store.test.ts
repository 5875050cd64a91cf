import { skipWithoutPostgres, testPostgres } from '../../testing/postgres.js'
import { describePipelineStore } from '../pipeline-store.contract.js'
import { PgDatabase } from './database.js'
import { PostgresPipelineStore } from './pipeline-store.js'

const postgres = await testPostgres()
if (postgres) {
  describePipelineStore(
    'postgresql',
    async (isOwnerAlive) => new PostgresPipelineStore(await PgDatabase.open(await postgres.newDatabase()), { ownsDb: true, isOwnerAlive }),
  )
} else {
  skipWithoutPostgres('PipelineStore contract: postgresql')
}
