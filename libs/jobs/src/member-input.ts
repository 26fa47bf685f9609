import { isJsonObject, ScimError, type JsonValue } from '@scimflow/scim';
import type { MemberInput } from './job-map';

/** The `{value, type}` elements of a coerced `members` value; each must name a member id. */
export function memberInputs(value: JsonValue | undefined | readonly JsonValue[]): MemberInput[] {
  const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return items.map((item) => {
    if (!isJsonObject(item) || typeof item.value !== 'string')
      throw ScimError.badRequest('invalidValue', "Each member needs a 'value' (the member's id)");
    return typeof item.type === 'string' ? { value: item.value, type: item.type } : { value: item.value };
  });
}
