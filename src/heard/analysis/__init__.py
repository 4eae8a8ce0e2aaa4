"""Pure analysis of a take: word choice, pacing, prosody, tone, feedback wording."""
