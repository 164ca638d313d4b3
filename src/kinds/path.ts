/** Where a value sits in the scenario file: ['nodes', 2, 'ports', 0, 'address']. */
export type Path = (string | number)[];

/** Reports one problem at a path; resolving goes on, so every problem is reported at once. */
export type Report = (path: Path, message: string) => void;
