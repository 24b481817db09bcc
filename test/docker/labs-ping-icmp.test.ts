import { describeLabGrading } from '../helpers/grade-lab.js';

// ping-icmp, through `lab selftest`: the reference scores full marks; each mistake fails exactly what its expect.yaml declares.
describeLabGrading('ping-icmp');
