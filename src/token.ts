/** The variable that marks every process lablb starts (LABLB_TOKEN=<lab>/<node>/<service>):
 *  children and daemons inherit it, so cleanup after a crash finds exactly those PIDs. */
export const TOKEN_VAR = 'LABLB_TOKEN';
