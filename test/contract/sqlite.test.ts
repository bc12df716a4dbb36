// The Store contract on SQLite: a fresh database file in a temp directory.
import { describeSqlite, makeSqliteTestStore } from '../support/test-stores.js';
import { describeStoreContract } from './store.contract.js';

describeSqlite('sqlite store', () => {
  describeStoreContract('sqlite', makeSqliteTestStore);
});
