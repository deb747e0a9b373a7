/**
 * Decoder bugs the fuzz targets have found and that are not fixed yet. A target that hits one
 * counts it as the outcome `known-issue:<id>` instead of failing, so a campaign keeps looking for
 * new bugs; each gets a failing regression test in known-issues.test.ts until it is fixed.
 *
 * None open. Fixed so far (their regression tests stay in known-issues.test.ts):
 * - vmess-domain-nbsp: a VMess domain "0.0.0.0\xa0" was accepted as 0.0.0.0 (JS trim() removes
 *   U+00A0; Go's TrimSpace keeps a lone 0xA0 byte) — src-core/engine/proxy/vmess/codec.ts.
 * - control-group-field-number: field numbers 2^29…2^31−1 inside a skipped protobuf group were
 *   refused; protobuf-go accepts them — src-core/engine/app/reverse/control.ts.
 */
export const KNOWN_ISSUES = {} as const;

export type KnownIssueId = never;

export const knownIssueLabel = (issue: { readonly id: KnownIssueId }): string => `known-issue:${issue.id}`;
