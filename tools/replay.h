/* SPDX-License-Identifier: MIT */
/*
 * replay: `usernet replay`, deterministic runs of the stack driven by pcap
 * files and test scripts on a virtual clock.
 */
#ifndef USERNET_TOOLS_REPLAY_H
#define USERNET_TOOLS_REPLAY_H

int replay_main(int argc, char **argv);

#endif /* USERNET_TOOLS_REPLAY_H */
