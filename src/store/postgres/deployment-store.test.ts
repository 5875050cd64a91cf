import { skipWithoutPostgres, testPostgres } from '../../testing/postgres.js'
import { describeDeploymentStore } from '../deployment-store.contract.js'
import { PgDatabase } from './database.js'
import { PostgresDeploymentStore } from './deployment-store.js'

const postgres = await testPostgres()
if (postgres) {
  describeDeploymentStore('postgresql', async () => new PostgresDeploymentStore(await PgDatabase.open(await postgres.newDatabase()), { ownsDb: true }))
} else {
  skipWithoutPostgres('DeploymentStore contract: postgresql')
}
