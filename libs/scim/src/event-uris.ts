/** RFC 9967 §2.4 provisioning event URIs scimflow emits (one per event token). */
export const EventUri = {
  created: 'urn:ietf:params:scim:event:prov:create:notice',
  /** Full mode: `data` is the PatchOp that describes the change (RFC 9967 §2.4.2, Figure 6). */
  patched: 'urn:ietf:params:scim:event:prov:patch:full',
  deleted: 'urn:ietf:params:scim:event:prov:delete',
  activated: 'urn:ietf:params:scim:event:prov:activate',
  deactivated: 'urn:ietf:params:scim:event:prov:deactivate',
} as const;
