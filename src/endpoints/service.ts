/**
 * The endpoint service (SPEC 8.2): an owner's webhook endpoints, each URL
 * checked against the destination policy (src/net/destination.ts), each
 * with a secret shown only when it is made. Domain errors only; `http/`
 * maps them.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { page, type Page, type PageQuery } from '../api/cursor.js';
import type { CreateEndpoint, UpdateEndpoint } from '../api/endpoints.js';
import { fromStates, STATUSES } from '../alarms/states.js';
import { DomainError, NotFound } from '../errors.js';
import { timeOrderedSuffix } from '../ids.js';
import { checkDestinationUrl, type DestinationPolicy } from '../net/destination.js';
import { deleteEndpointUnlessUsed, getEndpoint, insertEndpoint, listEndpoints, rotateEndpointSecret, updateEndpoint, type EndpointRow } from '../store/endpoints.js';
import type { Schema } from '../store/schema.js';
import { insertAudit } from '../store/audit.js';
import { ownChange, type AuditAction, type ChangeBy } from '../audit/entry.js';

/** What the service needs. */
export interface EndpointServiceOptions {
  readonly db: Kysely<Schema>;
  readonly destinations: DestinationPolicy;
  /** webhook.max_endpoints. */
  readonly maxPerOwner: number;
  /** webhook.secret_grace. */
  readonly secretGraceMs: number;
}

const DEFAULT_PAGE = 50;
// An alarm in one of these may still send to its endpoint.
const ACTIVE = STATUSES.filter((s) => !fromStates('purge').includes(s));
const ENDPOINT_ID = /^ep_[A-Za-z0-9_-]{20}$/;

/** A new endpoint secret: "whsec_" and the base64 of 32 random bytes (the Standard Webhooks spelling). */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The service. */
export class EndpointService {
  constructor(private readonly o: EndpointServiceOptions) {}

  /** create: a new endpoint with a new secret; refused when its URL is not an allowed destination or the owner has too many. */
  async create(owner: string, req: CreateEndpoint, by = ownChange(owner)): Promise<EndpointRow> {
    const url = this.checkedUrl(req.url);
    const id = `ep_${timeOrderedSuffix()}`;
    const outcome = await this.audited(by, 'endpoint.create', owner, id, (trx) =>
      insertEndpoint(trx, { id, owner, url, description: req.description ?? null, method: req.method ?? 'POST', headers: req.headers ?? {}, body: req.body ?? 'wake', secret: newEndpointSecret() }, this.o.maxPerOwner),
      (o) => 'row' in o,
    );
    if ('full' in outcome) {
      throw new DomainError('limit', 'quota_exceeded', `this agent already has ${outcome.full} webhook endpoints, the most allowed is ${this.o.maxPerOwner}: delete one it no longer uses first`);
    }
    return outcome.row;
  }

  /** The owner's endpoint; NotFound for a missing one and for another owner's. */
  async get(owner: string, id: string): Promise<EndpointRow> {
    const row = ENDPOINT_ID.test(id) ? await getEndpoint(this.o.db, owner, id) : undefined;
    if (!row) throw new NotFound('endpoint');
    return row;
  }

  /** A page of the owner's endpoints. */
  async list(owner: string, query: PageQuery): Promise<Page<EndpointRow>> {
    const limit = query.limit ?? DEFAULT_PAGE;
    const rows = await listEndpoints(this.o.db, owner, { limit, ...(query.cursor ? { after: query.cursor } : {}) });
    return page(rows, limit, (r) => [r.created_at, r.id]);
  }

  /** update: the given fields replaced (a merge patch); a new URL is checked like a create's. */
  async update(owner: string, id: string, patch: UpdateEndpoint, by = ownChange(owner)): Promise<EndpointRow> {
    const changes = { ...patch, ...(patch.url !== undefined ? { url: this.checkedUrl(patch.url) } : {}) };
    if (!ENDPOINT_ID.test(id)) throw new NotFound('endpoint');
    const fields = Object.keys(changes).sort();
    const row =
      fields.length === 0
        ? await getEndpoint(this.o.db, owner, id)
        : await this.audited(by, 'endpoint.update', owner, id, (trx) => updateEndpoint(trx, owner, id, changes), (r) => r !== undefined, { fields });
    if (!row) throw new NotFound('endpoint');
    return row;
  }

  /** rotate: a new secret; the old one keeps signing beside it for webhook.secret_grace. */
  async rotate(owner: string, id: string, by = ownChange(owner)): Promise<EndpointRow> {
    const row = ENDPOINT_ID.test(id)
      ? await this.audited(by, 'endpoint.rotate_secret', owner, id, (trx) => rotateEndpointSecret(trx, owner, id, newEndpointSecret(), this.o.secretGraceMs), (r) => r !== undefined)
      : undefined;
    if (!row) throw new NotFound('endpoint');
    return row;
  }

  /** delete: refused (`endpoint_in_use`) while an alarm that may still fire targets it. */
  async remove(owner: string, id: string, by = ownChange(owner)): Promise<void> {
    if (!ENDPOINT_ID.test(id)) throw new NotFound('endpoint');
    const outcome = await this.audited(by, 'endpoint.delete', owner, id, (trx) => deleteEndpointUnlessUsed(trx, owner, id, ACTIVE), (o) => o.kind === 'deleted');
    if (outcome.kind === 'missing') throw new NotFound('endpoint');
    if (outcome.kind === 'in_use') {
      throw new DomainError('conflict', 'endpoint_in_use', `${outcome.alarms} alarm(s) in ${ACTIVE.join(' or ')} target this endpoint: cancel them (or let them finish) first`, { alarms: outcome.alarms });
    }
  }

  /** Runs `change` in a transaction that also writes its audit entry when `changed` says it changed something. */
  private audited<T>(by: ChangeBy, action: AuditAction, owner: string, targetId: string, change: (trx: Kysely<Schema>) => Promise<T>, changed: (outcome: T) => boolean, details?: Record<string, unknown>): Promise<T> {
    return this.o.db.transaction().execute(async (trx) => {
      const outcome = await change(trx);
      if (changed(outcome)) await insertAudit(trx, [{ by, action, owner, targetId, ...(details ? { details } : {}) }]);
      return outcome;
    });
  }

  private checkedUrl(text: string): string {
    const check = checkDestinationUrl(text, this.o.destinations);
    if (!check.ok) throw new DomainError('invalid', 'destination_not_allowed', `url: ${check.reason}`, [{ path: 'url', message: check.reason }]);
    return check.url.toString();
  }
}
