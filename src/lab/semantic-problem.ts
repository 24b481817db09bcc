/** A problem of meaning in a lab file (what the schema cannot see), at a path of the parsed document. */
export interface SemanticProblem {
  path: (string | number)[];
  message: string;
  /** The problem is about this key of the map at `path`: point at the key. */
  key?: string;
}
