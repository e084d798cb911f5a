/**
 * What the MCP SDK is given as a tool's input schema. The SDK validates
 * arguments with it before the tool runs and answers a failure in its own
 * words; a tool must answer the API's code and message instead (SPEC 5).
 * So the SDK gets a schema that lists exactly the JSON Schema of the API's
 * own (strict) schema but lets every call through, and the tool validates
 * with the API's schema itself.
 */
import { z } from 'zod';

/** A schema whose JSON Schema is `schema`'s (as the SDK writes it: draft 7, input side) and that accepts any object. */
export function listedAs(schema: z.ZodObject): z.ZodObject {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-7' }) as { properties?: Record<string, Record<string, unknown>>; required?: string[]; additionalProperties?: unknown };
  const shape = Object.fromEntries(Object.entries(json.properties ?? {}).map(([name, property]) => [name, z.any().optional().meta(property)]));
  return z.looseObject(shape).meta({ ...(json.required ? { required: json.required } : {}), additionalProperties: json.additionalProperties ?? false });
}
