/**
 * Upstream's PII policies (`PiiPolicy` in AssemblyAI's OpenAPI spec; the same names are the
 * `EntityType`s of entity detection), and which of them Earshot's recognisers detect.
 */

export const PII_POLICIES = [
  'account_number',
  'banking_information',
  'blood_type',
  'credit_card_cvv',
  'credit_card_expiration',
  'credit_card_number',
  'date',
  'date_interval',
  'date_of_birth',
  'drivers_license',
  'drug',
  'duration',
  'email_address',
  'event',
  'filename',
  'gender_sexuality',
  'healthcare_number',
  'injury',
  'ip_address',
  'language',
  'location',
  'marital_status',
  'medical_condition',
  'medical_process',
  'money_amount',
  'nationality',
  'number_sequence',
  'occupation',
  'organization',
  'passport_number',
  'password',
  'person_age',
  'person_name',
  'phone_number',
  'physical_attribute',
  'political_affiliation',
  'religion',
  'statistics',
  'time',
  'url',
  'us_social_security_number',
  'username',
  'vehicle_id',
  'zodiac_sign',
] as const;

export type PiiPolicy = (typeof PII_POLICIES)[number];

/** The policies a recogniser in this directory finds; the rest are refused by name rather than accepted and ignored. */
export const DETECTED_POLICIES: ReadonlySet<PiiPolicy> = new Set<PiiPolicy>([
  'person_name',
  'organization',
  'location',
  'phone_number',
  'email_address',
  'url',
  'ip_address',
  'credit_card_number',
  'credit_card_cvv',
  'credit_card_expiration',
  'banking_information',
  'us_social_security_number',
  'date',
  'date_of_birth',
  'time',
  'money_amount',
  'blood_type',
  'zodiac_sign',
]);

export const isPiiPolicy = (name: string): name is PiiPolicy => (PII_POLICIES as readonly string[]).includes(name);

/** What `redact_pii_sub: "entity_name"` writes: `person_name` → `[PERSON_NAME]`. */
export const entityLabel = (policy: PiiPolicy) => `[${policy.toUpperCase()}]`;

/** A span of the analysed text that a recogniser believes holds PII of one type. */
export interface Finding {
  type: PiiPolicy;
  /** Character offsets in the analysed text, end exclusive. */
  start: number;
  end: number;
  /** 0..1: how sure the recogniser is (a passed checksum is sure; a bare pattern needs context words). */
  score: number;
}
