/** An id Earshot makes (`randomUUID`), in either case: transcripts, uploads, keys. Callers lowercase it before use. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
