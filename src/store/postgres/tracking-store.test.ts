import { skipWithoutPostgres, testPostgres } from '../../testing/postgres.js'
import { describeTrackingStore } from '../tracking-store.contract.js'
import { PgDatabase } from './database.js'
import { PostgresTrackingStore } from './tracking-store.js'

const postgres = await testPostgres()
if (postgres) {
  describeTrackingStore('postgresql', async () => PostgresTrackingStore.open(await PgDatabase.open(await postgres.newDatabase()), { ownsDb: true }))
} else {
  skipWithoutPostgres('TrackingStore contract: postgresql')
}
