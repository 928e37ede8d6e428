// Whether a stored prefill profile exists, for a `deadline` SLO that names one. Profiles live in
// the `profiles` table, built alongside capacity searches; until it is merged here no id is known,
// so every `deadline` search is refused with the field named. Point this at the profiles store.

/** True when a prefill profile with this id is stored. */
export async function profileExists(_env: Env, _id: string): Promise<boolean> {
  return false;
}
