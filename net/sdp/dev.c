// SPDX-License-Identifier: GPL-2.0
/*
 * sdp: the ib_client. Tracks the RDMA devices as they come and go. Each
 * connection allocates its own protection domain on the device rdma_cm
 * resolved for it, so device removal is driven by rdma_cm's
 * DEVICE_REMOVAL event on each connection (cm.c); this client only keeps
 * the list that the admin code reports.
 */
#include <linux/slab.h>
#include <linux/mutex.h>

#include "sdp.h"

struct sdp_dev {
	struct list_head	node;
	struct ib_device	*ibdev;
};

static LIST_HEAD(sdp_devs);
static DEFINE_MUTEX(sdp_devs_lock);

static int sdp_dev_add(struct ib_device *ibdev);
static void sdp_dev_remove(struct ib_device *ibdev, void *data);

static struct ib_client sdp_client = {
	.name	= "sdp",
	.add	= sdp_dev_add,
	.remove	= sdp_dev_remove,
};

static int sdp_dev_add(struct ib_device *ibdev)
{
	struct sdp_dev *dev;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->ibdev = ibdev;
	mutex_lock(&sdp_devs_lock);
	list_add_tail(&dev->node, &sdp_devs);
	mutex_unlock(&sdp_devs_lock);
	ib_set_client_data(ibdev, &sdp_client, dev);
	pr_debug("sdp: device %s added\n", dev_name(&ibdev->dev));
	return 0;
}

static void sdp_dev_remove(struct ib_device *ibdev, void *data)
{
	struct sdp_dev *dev = data;

	mutex_lock(&sdp_devs_lock);
	list_del(&dev->node);
	mutex_unlock(&sdp_devs_lock);
	pr_debug("sdp: device %s removed\n", dev_name(&ibdev->dev));
	kfree(dev);
}

int sdp_dev_count(void)
{
	struct sdp_dev *dev;
	int n = 0;

	mutex_lock(&sdp_devs_lock);
	list_for_each_entry(dev, &sdp_devs, node)
		n++;
	mutex_unlock(&sdp_devs_lock);
	return n;
}

int sdp_dev_init(void)
{
	return ib_register_client(&sdp_client);
}

void sdp_dev_exit(void)
{
	ib_unregister_client(&sdp_client);
}
