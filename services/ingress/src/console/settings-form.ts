import { ScimError } from '@scimflow/scim';

/** A comma-separated field as a list (empty: the setting is removed). */
function listField(value: unknown): string[] | null {
  if (typeof value !== 'string') return null;
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items.length === 0 ? null : items;
}

function jsonField(name: string, value: unknown): unknown {
  if (typeof value !== 'string' || value.trim() === '') return null;
  try {
    return JSON.parse(value);
  } catch {
    throw ScimError.badRequest('invalidValue', `${name}: is not JSON`);
  }
}

/** The settings form as the admin API's PATCH body; the API's own schema then checks every value. */
export function settingsFromForm(body: unknown): Record<string, unknown> {
  const form = new Map(typeof body === 'object' && body !== null ? Object.entries(body) : []);
  const out: Record<string, unknown> = {};
  if (form.has('notificationEmails')) out.notificationEmails = listField(form.get('notificationEmails'));
  if (form.has('notifyWindowSeconds')) {
    const window: unknown = form.get('notifyWindowSeconds');
    out.notifyWindowSeconds = typeof window !== 'string' || window.trim() === '' ? null : Number(window);
  }
  if (form.has('requiredAttributes'))
    out.requiredAttributes = jsonField('requiredAttributes', form.get('requiredAttributes'));
  if (form.has('defaultGroups')) out.defaultGroups = listField(form.get('defaultGroups'));
  if (form.has('budget')) out.budget = jsonField('budget', form.get('budget'));
  return out;
}
