/* The eSDK's host API as ecsp uses it: the hardware abstraction layer
 * (e-hal) and the program loader (e-loader). bindgen reads this file with
 * the eSDK's include directory on its path; nothing of the eSDK is copied
 * into this repository. */
#include <e-hal.h>
#include <e-loader.h>
