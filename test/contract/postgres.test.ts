// The Store contract on PostgreSQL: a fresh schema of its own, dropped at the end (CI fails if unreachable).
import { describePostgres, makePostgresTestStore } from '../support/test-stores.js';
import { describeStoreContract } from './store.contract.js';

await describePostgres('postgres store', () => {
  describeStoreContract('postgres', makePostgresTestStore);
});
