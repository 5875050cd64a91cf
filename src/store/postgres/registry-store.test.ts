import { skipWithoutPostgres, testPostgres } from '../../testing/postgres.js'
import { describeRegistryStore } from '../registry-store.contract.js'
import { PgDatabase } from './database.js'
import { PostgresRegistryStore } from './registry-store.js'

const postgres = await testPostgres()
if (postgres) {
  describeRegistryStore('postgresql', async () => new PostgresRegistryStore(await PgDatabase.open(await postgres.newDatabase()), { ownsDb: true }))
} else {
  skipWithoutPostgres('RegistryStore contract: postgresql')
}
