// Randomness is passed in so that unit tests can make it deterministic; production uses node:crypto.
import { randomBytes, randomUUID } from 'node:crypto';

export interface Random {
  bytes(n: number): Buffer;
  uuid(): string;
}

export const cryptoRandom: Random = {
  bytes: (n) => randomBytes(n),
  uuid: () => randomUUID(),
};
