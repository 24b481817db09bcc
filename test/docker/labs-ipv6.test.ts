import { describeLabGrading } from '../helpers/grade-lab.js';

// ipv6, through `lab selftest`: the reference scores full marks; each mistake fails exactly what its expect.yaml declares.
describeLabGrading('ipv6');
