import { z } from 'zod';
import {
  fitReportSchema,
  prefillProfileFileSchema,
  profileSampleSchema,
} from '../profile/prefill-profile.ts';
import { profileRequestSchema } from '../profile/profile-request.ts';

// The bodies of the profile routes (src/worker/api/profiles-routes.ts), pure zod like
// control-api-schemas.ts: the routes declare them in /openapi.json, the CLI checks what it receives.

export const PROFILE_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type ProfileState = (typeof PROFILE_STATES)[number];

/** One profile in a listing. */
export const profileEntrySchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  state: z.enum(PROFILE_STATES),
  /** Why it ended (the run's reason, or why nothing could be fitted); null while it runs. */
  reason: z.string().nullable(),
  /** The run that measures it: `GET /v1/runs/{run_id}` shows its progress. */
  run_id: z.string(),
  created_at_ms: z.number().int(),
  finished_at_ms: z.number().int().nullable(),
});
export type ProfileEntry = z.infer<typeof profileEntrySchema>;

/** `POST /v1/profiles` → 201 and `GET /v1/profiles/{id}` → 200. */
export const profileDetailSchema = profileEntrySchema.extend({
  request: profileRequestSchema,
  /** The prompt lengths the run sends (those that fit the context), ascending. */
  lengths: z.array(z.number().int()),
  expected_requests: z.number().int(),
  /** Once done: the file `fluidbench analyze --prefill-profile FILE` reads (samples and predictor). */
  profile: prefillProfileFileSchema.nullable(),
  /** Once done: the minimum TTFT per prompt length the predictor was fitted to. */
  min_ttft_per_length: z.array(profileSampleSchema).nullable(),
  /** Once done: the predictor's error against those minima. */
  fit: fitReportSchema.nullable(),
  links: z.record(z.string(), z.string()),
});
export type ProfileDetail = z.infer<typeof profileDetailSchema>;

/** `GET /v1/profiles` → 200: newest first; `next` is the following page's cursor. */
export const profileListSchema = z.object({
  profiles: z.array(profileEntrySchema),
  next: z.string().nullable(),
});
export type ProfileList = z.infer<typeof profileListSchema>;
