// Narrowing the API's JSON: answers are read field by field, with lists that the API wraps (`{"Users":{"User":[...]}}`).
import type { ApiObject } from './client';

export function obj(value: unknown): ApiObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ApiObject) : {};
}

export function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

/** `body[outer][inner]` as a list of objects: the API's wrapped lists (`Users.User`), empty when absent. */
export function list(body: unknown, outer: string, inner?: string): ApiObject[] {
  let value = obj(body)[outer];
  if (inner !== undefined) value = obj(value)[inner];
  return Array.isArray(value) ? value.map(obj) : [];
}
