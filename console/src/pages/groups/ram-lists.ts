// RAM's groups and policies as the groups and policies pages read them, every page of each listing.
import { rpc } from '../../api/client';
import type { ApiObject, RpcParams } from '../../api/client';
import { list, num, text } from '../../api/values';

export interface GroupRow {
  readonly GroupName: string;
  readonly Comments: string;
  readonly CreateDate: string;
}

export interface PolicyRow {
  readonly PolicyName: string;
  readonly PolicyType: string;
  readonly Description: string;
  readonly DefaultVersion: string;
  readonly AttachmentCount: number;
  readonly UpdateDate: string;
}

async function allPages(
  action: string,
  params: RpcParams,
  outer: string,
  inner: string,
): Promise<ApiObject[]> {
  const rows: ApiObject[] = [];
  let marker: string | undefined;
  do {
    const body = await rpc('ram', action, { ...params, MaxItems: 1000, Marker: marker });
    rows.push(...list(body, outer, inner));
    marker = body.IsTruncated === true ? text(body.Marker) : undefined;
  } while (marker !== undefined && marker !== '');
  return rows;
}

export async function listAllGroups(): Promise<GroupRow[]> {
  return (await allPages('ListGroups', {}, 'Groups', 'Group')).map((g) => ({
    GroupName: text(g.GroupName),
    Comments: text(g.Comments),
    CreateDate: text(g.CreateDate),
  }));
}

export async function listAllPolicies(type?: string): Promise<PolicyRow[]> {
  return (await allPages('ListPolicies', { PolicyType: type }, 'Policies', 'Policy')).map((p) => ({
    PolicyName: text(p.PolicyName),
    PolicyType: text(p.PolicyType),
    Description: text(p.Description),
    DefaultVersion: text(p.DefaultVersion),
    AttachmentCount: num(p.AttachmentCount) ?? 0,
    UpdateDate: text(p.UpdateDate),
  }));
}

export function policyRoute(type: string, name: string): string {
  return `/policies/${encodeURIComponent(type)}/${encodeURIComponent(name)}`;
}

export function groupRoute(name: string): string {
  return `/groups/${encodeURIComponent(name)}`;
}

/** A policy document pretty-printed for reading and editing. */
export function prettyDocument(document: string): string {
  try {
    return JSON.stringify(JSON.parse(document), null, 2);
  } catch {
    return document;
  }
}

export const STARTER_DOCUMENT = `{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["ram:Get*", "ram:List*"],
      "Resource": "*"
    }
  ]
}`;
