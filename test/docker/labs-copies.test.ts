import { describeLabGrading } from '../helpers/grade-lab.js';

// copies, through `lab selftest`: the server's /proc/<pid>/io grows by the file's size in rchar and in wchar with
// read() + write() and with Node's pipe alike; each mistake fails exactly what its expect.yaml declares.
describeLabGrading('copies');
