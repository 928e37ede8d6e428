import { readFileSync } from 'node:fs';
import { parse } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { runConfigSchema } from '../run/run-config.ts';
import { targetSchema } from './target-config.ts';

// The Workers AI and Bedrock target fields: which combinations are refused, and that the commented
// examples stay valid.

const aws = { region: 'us-east-1', access_key_id_secret: 'AWS_KEY', secret_access_key_secret: 'AWS_SECRET' };
const bedrock = {
  api: 'bedrock-converse',
  base_url: 'https://bedrock-runtime.us-east-1.amazonaws.com',
  model: 'm',
};
const workersAi = {
  api: 'workers-ai',
  base_url: 'https://api.cloudflare.com/client/v4/accounts/a/ai',
  model: '@cf/x',
};

function issues(input: unknown): string[] {
  const parsed = targetSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('provider target fields', () => {
  it('bedrock-converse needs exactly one of aws and api_key_secret', () => {
    expect(issues({ ...bedrock, aws })).toEqual([]);
    expect(issues({ ...bedrock, api_key_secret: 'BEDROCK_KEY' })).toEqual([]);
    expect(issues(bedrock)).toEqual([expect.stringMatching(/^aws: .*exactly one/)]);
    expect(issues({ ...bedrock, aws, api_key_secret: 'BEDROCK_KEY' })).toEqual([
      expect.stringMatching(/^aws: .*exactly one/),
    ]);
  });

  it('aws and ai_binding belong to their own api; secret names and regions are checked', () => {
    expect(issues({ ...workersAi, aws })).toContainEqual(expect.stringMatching(/^aws: aws is only for/));
    expect(issues({ ...bedrock, aws, ai_binding: 'AI' })).toContainEqual(
      expect.stringMatching(/^ai_binding: /),
    );
    expect(issues({ ...workersAi, ai_binding: 'AI' })).toEqual([]);
    expect(issues({ ...bedrock, aws: { ...aws, region: 'US East' } })).toContainEqual(
      expect.stringMatching(/^aws\.region: /),
    );
    expect(
      issues({ ...bedrock, aws: { ...aws, access_key_id_secret: 'AKIA…the key itself' } }),
    ).toContainEqual(expect.stringMatching(/^aws\.access_key_id_secret: /));
    expect(issues({ ...bedrock, aws: { ...aws, extra: 1 } })).not.toEqual([]);
  });

  it('refuses ignore_eos and continuous_usage, which neither provider offers', () => {
    expect(issues({ ...workersAi, ignore_eos: true })).toEqual([expect.stringMatching(/^ignore_eos: /)]);
    expect(issues({ ...bedrock, aws, continuous_usage: true })).toEqual([
      expect.stringMatching(/^continuous_usage: /),
    ]);
  });

  it.each(['examples/workers-ai.jsonc', 'examples/bedrock.jsonc'])('%s is a valid run config', (file) => {
    const parsed = runConfigSchema.safeParse(parse(readFileSync(file, 'utf8')));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });
});
