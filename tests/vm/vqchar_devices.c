// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel devices end to end: loopback, sink and source, with and
 * without VQCHAR_F_EVENT_IDX, driven through the raw ring (vq_drv_*).
 * Checks the data, used.len, the stats, notification suppression in both
 * directions, and 16-bit index wrap-around.
 */
#include "vq_test.h"

#define NUM		64
#define SEGS		4		/* descriptors per chain */
#define SLOTS		(NUM / SEGS)	/* chains in flight per round */
#define BUF_SIZE	512

FIXTURE(dev)
{
	int fd;
	struct vqt_queue q;
	/* Per slot: the chain's sequence number, for checking its used entry. */
	uint32_t slot_seq[SLOTS];
	uint64_t out_bytes, in_bytes, written;
};

FIXTURE_VARIANT(dev)
{
	uint32_t device;
	uint64_t features;
};

FIXTURE_VARIANT_ADD(dev, loopback) { .device = VQCHAR_DEV_LOOPBACK, .features = 0 };
FIXTURE_VARIANT_ADD(dev, loopback_event_idx) {
	.device = VQCHAR_DEV_LOOPBACK, .features = VQCHAR_F_EVENT_IDX };
FIXTURE_VARIANT_ADD(dev, sink) { .device = VQCHAR_DEV_SINK, .features = 0 };
FIXTURE_VARIANT_ADD(dev, sink_event_idx) {
	.device = VQCHAR_DEV_SINK, .features = VQCHAR_F_EVENT_IDX };
FIXTURE_VARIANT_ADD(dev, source) { .device = VQCHAR_DEV_SOURCE, .features = 0 };
FIXTURE_VARIANT_ADD(dev, source_event_idx) {
	.device = VQCHAR_DEV_SOURCE, .features = VQCHAR_F_EVENT_IDX };

FIXTURE_SETUP(dev)
{
	self->fd = vqt_open();
	if (self->fd == -ENOENT || self->fd == -ENODEV || self->fd == -ENXIO)
		SKIP(return, VQT_DEV " not present (module not loaded)");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vqt_queue_create(self->fd, &self->q, NUM, variant->device,
				      variant->features, NUM, BUF_SIZE));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd < 0)
		return;
	vqt_queue_destroy(&self->q);
	close(self->fd);
}

/* The driver's own fill pattern, different from VQCHAR_SOURCE_BYTE. */
static inline uint8_t drv_byte(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 7u + i * 13u + 1u);
}

/* Segment lengths of chain @seq: [0, nout) readable, then writable. */
struct shape {
	uint32_t nout, nin;
	uint32_t len[SEGS];
};

static void chain_shape(uint32_t device, uint32_t seq, struct shape *s)
{
	uint32_t a = 1 + (seq * 37) % BUF_SIZE, b = (seq * 101) % BUF_SIZE;

	switch (device) {
	case VQCHAR_DEV_LOOPBACK:
		/* Two readable, two writable, room for everything. */
		s->nout = 2;
		s->nin = 2;
		s->len[0] = a / 2 + 1;
		s->len[1] = b / 2;
		s->len[2] = BUF_SIZE - (seq % 3);
		s->len[3] = BUF_SIZE;
		break;
	case VQCHAR_DEV_SINK:
		s->nout = 1 + seq % 2;
		s->nin = 0;
		s->len[0] = a;
		s->len[1] = b + 1;
		break;
	default:
		s->nout = 0;
		s->nin = 1 + seq % 2;
		s->len[0] = a;
		s->len[1] = b + 1;
		break;
	}
}

/* Write chain @seq into slot @slot (descriptors slot*SEGS..) and fill avail. */
static void put_chain(FIXTURE_DATA(dev) *self, uint32_t device, uint32_t slot, uint32_t seq)
{
	struct vqt_queue *q = &self->q;
	struct shape s;
	uint32_t n, k, pos = 0;
	uint16_t d0 = slot * SEGS;

	chain_shape(device, seq, &s);
	n = s.nout + s.nin;
	for (k = 0; k < n; k++) {
		uint8_t *buf = q->pool + (uint64_t)(d0 + k) * BUF_SIZE;
		uint16_t flags = (k + 1 < n ? VQ_DESC_F_NEXT : 0) |
				 (k >= s.nout ? VQ_DESC_F_WRITE : 0);
		uint32_t i;

		if (k < s.nout) {
			for (i = 0; i < s.len[k]; i++)
				buf[i] = drv_byte(seq, pos + i);
			pos += s.len[k];
			self->out_bytes += s.len[k];
		} else {
			memset(buf, 0xcc, s.len[k]);
			self->in_bytes += s.len[k];
		}
		vq_drv_desc_write(&q->r, d0 + k, (uint64_t)(d0 + k) * BUF_SIZE, s.len[k], flags,
				  d0 + k + 1);
	}
	self->slot_seq[slot] = seq;
	vq_drv_avail_fill(&q->r, q->avail_idx++, d0);
}

/* Check one used entry; returns 0 or a short reason. */
static const char *check_used(FIXTURE_DATA(dev) *self, uint32_t device, uint32_t id,
			      uint32_t len)
{
	struct vqt_queue *q = &self->q;
	struct shape s;
	uint32_t slot, seq, k, i, pos = 0, out = 0, in = 0;

	if (id >= NUM || id % SEGS)
		return "used.id is not a chain head";
	slot = id / SEGS;
	seq = self->slot_seq[slot];
	chain_shape(device, seq, &s);
	for (k = 0; k < s.nout; k++)
		out += s.len[k];
	for (k = s.nout; k < s.nout + s.nin; k++)
		in += s.len[k];

	switch (device) {
	case VQCHAR_DEV_LOOPBACK:
		if (len != out)
			return "loopback used.len != readable bytes";
		/* The readable bytes, in order, across the writable segments. */
		for (k = s.nout; k < s.nout + s.nin && pos < out; k++) {
			const uint8_t *buf = q->pool + (uint64_t)(id + k) * BUF_SIZE;

			for (i = 0; i < s.len[k] && pos < out; i++, pos++)
				if (buf[i] != drv_byte(seq, pos))
					return "loopback data differs";
		}
		break;
	case VQCHAR_DEV_SINK:
		if (len != 0)
			return "sink used.len != 0";
		break;
	default:
		if (len != in)
			return "source used.len != writable bytes";
		for (k = 0; k < s.nin; k++) {
			const uint8_t *buf = q->pool + (uint64_t)(id + k) * BUF_SIZE;

			for (i = 0; i < s.len[k]; i++, pos++)
				if (buf[i] != VQCHAR_SOURCE_BYTE(seq, pos))
					return "source pattern differs";
		}
		break;
	}
	self->written += len;
	return NULL;
}

/*
 * Run @total chains in rounds of SLOTS.  @per_chain_publish publishes and
 * asks vq_drv_should_kick() after every chain, otherwise once per round.
 */
static void run_chains(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
		       uint32_t device, uint32_t total, bool per_chain_publish)
{
	struct vqt_queue *q = &self->q;
	uint32_t seq = 0;

	while (seq < total) {
		uint32_t n = total - seq < SLOTS ? total - seq : SLOTS;
		uint16_t old = q->avail_idx, got, k;
		uint32_t slot;

		for (slot = 0; slot < n; slot++) {
			uint16_t before = q->avail_idx;

			put_chain(self, device, slot, seq + slot);
			if (per_chain_publish)
				ASSERT_EQ(0, vqt_publish(q, before));
		}
		if (!per_chain_publish)
			ASSERT_EQ(0, vqt_publish(q, old));
		got = vqt_wait_used(q, n);
		ASSERT_EQ(n, got) TH_LOG("chains %u..%u: %u of %u used after %d ms", seq,
					 seq + n - 1, got, n, VQT_TIMEOUT_MS);
		for (k = 0; k < n; k++) {
			uint32_t id, len;
			const char *why;

			vq_drv_used_read(&q->r, q->last_used++, &id, &len);
			why = check_used(self, device, id, len);
			ASSERT_EQ(NULL, why) TH_LOG("chain seq %u: %s (id %u len %u)",
						    self->slot_seq[id / SEGS % SLOTS], why, id, len);
		}
		seq += n;
	}
}

/* Stats are updated around the used idx store; allow them a moment. */
static void stats_settled(int fd, uint32_t id, uint64_t chains, struct vqchar_queue_stats *s)
{
	uint64_t deadline = vqt_now_ms() + 1000;

	do {
		if (vqt_stats(fd, id, s))
			return;
		if (s->chains >= chains && s->batches && s->kicks)
			return;
		vqt_sleep_ms(5);
	} while (vqt_now_ms() < deadline);
}

TEST_F(dev, one_chain)
{
	struct vqchar_queue_status st;

	run_chains(_metadata, self, variant->device, 1, false);
	ASSERT_EQ(0, vqt_status(self->fd, self->q.id, &st));
	EXPECT_EQ(0, st.status);
	EXPECT_EQ(1, st.last_avail_idx);
	EXPECT_EQ(1, st.used_idx);
}

TEST_F(dev, many_chains_stats)
{
	struct vqchar_queue_stats s;
	const uint32_t total = 10 * SLOTS + 3;

	run_chains(_metadata, self, variant->device, total, false);
	stats_settled(self->fd, self->q.id, total, &s);
	EXPECT_EQ(total, s.chains);
	EXPECT_EQ(0, s.errors);
	EXPECT_LE(1, s.batches);
	EXPECT_GE(total, s.batches);
	EXPECT_LE(1, s.kicks);
	EXPECT_GE(self->q.kicks_sent, s.kicks);
	/* Calls were wanted throughout: every batch either called or not at all. */
	EXPECT_LE(1, s.calls);
	/*
	 * Without EVENT_IDX calls were never refused.  With it, a second batch
	 * before the driver re-armed used_event is rightly suppressed.
	 */
	if (!(variant->features & VQCHAR_F_EVENT_IDX))
		EXPECT_EQ(0, s.calls_suppressed);
	switch (variant->device) {
	case VQCHAR_DEV_LOOPBACK:
		EXPECT_EQ(self->out_bytes, s.bytes_read);
		EXPECT_EQ(self->out_bytes, s.bytes_written);
		break;
	case VQCHAR_DEV_SINK:
		EXPECT_EQ(self->out_bytes, s.bytes_read);
		EXPECT_EQ(0, s.bytes_written);
		break;
	default:
		EXPECT_EQ(0, s.bytes_read);
		EXPECT_EQ(self->in_bytes, s.bytes_written);
		break;
	}
	EXPECT_EQ(self->written, s.bytes_written);
}

TEST_F(dev, call_eventfd_signalled)
{
	run_chains(_metadata, self, variant->device, 1, false);
	/* Drain the first chain's call, ask for the next one, send a chain. */
	vqt_wait_eventfd(self->q.call, 0);
	vq_drv_set_calls(&self->q.r, self->q.features, true, self->q.last_used);
	put_chain(self, variant->device, 0, 1);
	ASSERT_EQ(0, vqt_publish(&self->q, self->q.avail_idx - 1));
	EXPECT_LT(0, vqt_wait_eventfd(self->q.call, VQT_TIMEOUT_MS));
	EXPECT_EQ(1, vq_drv_used_pending(&self->q.r, self->q.last_used));
}

TEST_F(dev, kick_only_when_asked)
{
	struct vqt_queue *q = &self->q;
	struct vqchar_queue_stats s;
	uint64_t deadline;
	const uint32_t total = 20 * SLOTS;

	/* Publish chain by chain; kick only when vq_drv_should_kick says so. */
	run_chains(_metadata, self, variant->device, total, true);
	TH_LOG("%u kicks sent, %u skipped because the device asked", q->kicks_sent,
	       q->kicks_skipped);
	stats_settled(self->fd, q->id, total, &s);
	EXPECT_EQ(total, s.chains);
	EXPECT_GE(q->kicks_sent, s.kicks);

	/* Idle again, the device must want the next kick. */
	deadline = vqt_now_ms() + 1000;
	while (!vq_drv_should_kick(&q->r, q->features, q->avail_idx, q->avail_idx + 1) &&
	       vqt_now_ms() < deadline)
		vqt_sleep_ms(5);
	EXPECT_TRUE(vq_drv_should_kick(&q->r, q->features, q->avail_idx, q->avail_idx + 1));
	if (q->features & VQCHAR_F_EVENT_IDX) {
		EXPECT_EQ(q->avail_idx, le16_to_cpu(*q->r.avail_event));
	} else {
		EXPECT_EQ(0, le16_to_cpu(*q->r.used_flags) & VQ_USED_F_NO_NOTIFY);
	}
}

TEST_F(dev, calls_suppressed)
{
	struct vqt_queue *q = &self->q;
	struct vqchar_queue_stats s;
	uint64_t deadline;
	uint32_t slot;

	/* Stop asking for calls before the first chain. */
	q->no_rearm = true;
	if (q->features & VQCHAR_F_EVENT_IDX)
		WRITE_ONCE(*q->r.used_event, cpu_to_le16((uint16_t)(q->last_used - 1)));
	else
		vq_drv_set_calls(&q->r, q->features, false, q->last_used);

	for (slot = 0; slot < SLOTS; slot++)
		put_chain(self, variant->device, slot, slot);
	ASSERT_EQ(0, vqt_publish_kick(q));
	/* No call: poll the ring itself. */
	deadline = vqt_now_ms() + VQT_TIMEOUT_MS;
	while (vq_drv_used_pending(&q->r, q->last_used) < SLOTS && vqt_now_ms() < deadline)
		vqt_sleep_ms(2);
	ASSERT_EQ(SLOTS, vq_drv_used_pending(&q->r, q->last_used));
	EXPECT_FALSE(vqt_readable(q->call, 100));
	stats_settled(self->fd, q->id, SLOTS, &s);
	deadline = vqt_now_ms() + 1000;
	while (!s.calls_suppressed && vqt_now_ms() < deadline) {
		vqt_sleep_ms(5);
		vqt_stats(self->fd, q->id, &s);
	}
	EXPECT_EQ(0, s.calls);
	EXPECT_LE(1, s.calls_suppressed);
	q->last_used += SLOTS;

	/* Ask again: the next chain calls. */
	q->no_rearm = false;
	vq_drv_set_calls(&q->r, q->features, true, q->last_used);
	put_chain(self, variant->device, 0, SLOTS);
	ASSERT_EQ(0, vqt_publish_kick(q));
	EXPECT_LT(0, vqt_wait_eventfd(q->call, VQT_TIMEOUT_MS));
	ASSERT_EQ(1, vqt_wait_used(q, 1));
	vqt_stats(self->fd, q->id, &s);
	EXPECT_LE(1, s.calls);
}

TEST_F(dev, no_kick_no_work)
{
	struct vqt_queue *q = &self->q;
	struct vqchar_queue_status st;

	/* Published but never kicked: an in-kernel device does not poll. */
	put_chain(self, variant->device, 0, 0);
	vq_drv_avail_publish(&q->r, q->avail_idx);
	vqt_sleep_ms(200);
	EXPECT_EQ(0, vq_drv_used_pending(&q->r, 0));
	ASSERT_EQ(0, vqt_status(self->fd, q->id, &st));
	EXPECT_EQ(0, st.last_avail_idx);
	/* The kick then finds it. */
	ASSERT_EQ(0, vqt_signal(q->kick));
	EXPECT_EQ(1, vqt_wait_used(q, 1));
}

TEST_F(dev, spurious_kicks)
{
	struct vqt_queue *q = &self->q;
	struct vqchar_queue_status st;
	int i;

	/* Kicks with nothing available are harmless. */
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, vqt_signal(q->kick));
	vqt_sleep_ms(100);
	ASSERT_EQ(0, vqt_status(self->fd, q->id, &st));
	EXPECT_EQ(0, st.status);
	EXPECT_EQ(0, st.used_idx);
	run_chains(_metadata, self, variant->device, 2, false);
}

/*
 * 16-bit wrap: a ring of 256, 1-segment chains filling the whole ring per
 * kick, more than 65536 chains in all.
 */
FIXTURE(vq)
{
	int fd;
};

FIXTURE_SETUP(vq)
{
	self->fd = vqt_open();
	if (self->fd == -ENOENT || self->fd == -ENODEV || self->fd == -ENXIO)
		SKIP(return, VQT_DEV " not present (module not loaded)");
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(vq)
{
	if (self->fd >= 0)
		close(self->fd);
}

static void run_wrap(struct __test_metadata *_metadata, int fd, uint32_t device,
		     uint64_t features, uint32_t total)
{
	const uint32_t num = 256, bsz = 16;
	struct vqchar_queue_stats s;
	struct vqchar_queue_status st;
	struct vqt_queue q;
	uint32_t seq = 0, i;

	ASSERT_EQ(0, vqt_queue_create(fd, &q, num, device, features, num, bsz));
	for (i = 0; i < num; i++)
		vq_drv_desc_write(&q.r, i, (uint64_t)i * bsz, bsz,
				  device == VQCHAR_DEV_SINK ? 0 : VQ_DESC_F_WRITE, 0);
	if (device == VQCHAR_DEV_LOOPBACK) {
		/* Loopback needs something readable: two segments per chain. */
		for (i = 0; i < num; i += 2) {
			vq_drv_desc_write(&q.r, i, (uint64_t)i * bsz, bsz, VQ_DESC_F_NEXT, i + 1);
			vq_drv_desc_write(&q.r, i + 1, (uint64_t)(i + 1) * bsz, bsz,
					  VQ_DESC_F_WRITE, 0);
		}
	}
	while (seq < total) {
		uint32_t step = device == VQCHAR_DEV_LOOPBACK ? 2 : 1;
		uint32_t n = num / step;
		uint16_t old = q.avail_idx, got;

		if (total - seq < n)
			n = total - seq;
		for (i = 0; i < n; i++) {
			if (device == VQCHAR_DEV_LOOPBACK)
				memset(q.pool + (uint64_t)i * step * bsz, (uint8_t)(seq + i), bsz);
			vq_drv_avail_fill(&q.r, q.avail_idx++, i * step);
		}
		ASSERT_EQ(0, vqt_publish(&q, old));
		got = vqt_wait_used(&q, n);
		ASSERT_EQ(n, got) TH_LOG("at chain %u (avail idx %u): %u of %u used",
					 seq, old, got, n);
		for (i = 0; i < n; i++) {
			uint32_t id, len, want_len = device == VQCHAR_DEV_SINK ? 0 : bsz;
			const uint8_t *b;

			vq_drv_used_read(&q.r, q.last_used++, &id, &len);
			ASSERT_EQ(i * step, id);
			ASSERT_EQ(want_len, len);
			b = q.pool + (uint64_t)(id + step - 1) * bsz;
			if (device == VQCHAR_DEV_SOURCE) {
				ASSERT_EQ(VQCHAR_SOURCE_BYTE(seq + i, 0), b[0]);
				ASSERT_EQ(VQCHAR_SOURCE_BYTE(seq + i, bsz - 1), b[bsz - 1]);
			} else if (device == VQCHAR_DEV_LOOPBACK) {
				ASSERT_EQ((uint8_t)(seq + i), b[0]);
				ASSERT_EQ((uint8_t)(seq + i), b[bsz - 1]);
			}
		}
		seq += n;
	}
	ASSERT_EQ(0, vqt_status(fd, q.id, &st));
	EXPECT_EQ(0, st.status);
	EXPECT_EQ((uint16_t)total, st.last_avail_idx);
	EXPECT_EQ((uint16_t)total, st.used_idx);
	stats_settled(fd, q.id, total, &s);
	EXPECT_EQ(total, s.chains);
	TH_LOG("%u chains, %llu batches, %llu kicks (%u sent, %u skipped), %llu calls",
	       total, (unsigned long long)s.batches, (unsigned long long)s.kicks,
	       q.kicks_sent, q.kicks_skipped, (unsigned long long)s.calls);
	vqt_queue_destroy(&q);
}

TEST_F_TIMEOUT(vq, source_wrap_event_idx, 120)
{
	run_wrap(_metadata, self->fd, VQCHAR_DEV_SOURCE, VQCHAR_F_EVENT_IDX, 70000);
}

TEST_F_TIMEOUT(vq, sink_wrap, 120)
{
	run_wrap(_metadata, self->fd, VQCHAR_DEV_SINK, 0, 70000);
}

TEST_F_TIMEOUT(vq, loopback_wrap_event_idx, 120)
{
	run_wrap(_metadata, self->fd, VQCHAR_DEV_LOOPBACK, VQCHAR_F_EVENT_IDX, 66000);
}

TEST_F(vq, ring_of_one)
{
	struct vqt_queue q;
	uint32_t seq, id, len;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 1, VQCHAR_DEV_SOURCE, VQCHAR_F_EVENT_IDX,
				      1, 4));
	vq_drv_desc_write(&q.r, 0, 0, 4, VQ_DESC_F_WRITE, 0);
	for (seq = 0; seq < 20; seq++) {
		vq_drv_avail_fill(&q.r, q.avail_idx++, 0);
		ASSERT_EQ(0, vqt_publish(&q, q.avail_idx - 1));
		ASSERT_EQ(1, vqt_wait_used(&q, 1));
		vq_drv_used_read(&q.r, q.last_used++, &id, &len);
		EXPECT_EQ(0, id);
		EXPECT_EQ(4, len);
		EXPECT_EQ(VQCHAR_SOURCE_BYTE(seq, 3), q.pool[3]);
	}
	vqt_queue_destroy(&q);
}

TEST_F_TIMEOUT(vq, max_ring_wrap, 120)
{
	const uint32_t num = VQCHAR_MAX_RING_SIZE, total = 66000;
	struct vqt_queue q;
	uint32_t seq = 0, i;

	/* Every avail and used slot of the largest ring, past the 16-bit wrap. */
	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, num, VQCHAR_DEV_SOURCE, 0, num, 2));
	for (i = 0; i < num; i++)
		vq_drv_desc_write(&q.r, i, (uint64_t)i * 2, 2, VQ_DESC_F_WRITE, 0);
	while (seq < total) {
		uint32_t n = total - seq < num ? total - seq : num;
		uint16_t old = q.avail_idx;

		for (i = 0; i < n; i++)
			vq_drv_avail_fill(&q.r, q.avail_idx++, num - 1 - i);
		ASSERT_EQ(0, vqt_publish(&q, old));
		ASSERT_EQ(n, vqt_wait_used(&q, n));
		for (i = 0; i < n; i++) {
			uint32_t id, len;

			vq_drv_used_read(&q.r, q.last_used++, &id, &len);
			ASSERT_EQ(num - 1 - i, id);
			ASSERT_EQ(2, len);
			ASSERT_EQ(VQCHAR_SOURCE_BYTE(seq + i, 1), q.pool[id * 2 + 1]);
		}
		seq += n;
	}
	vqt_queue_destroy(&q);
}

TEST_F(vq, event_idx_call_at_chosen_index)
{
	struct vqt_queue q;
	uint64_t deadline;
	uint16_t i;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 16, VQCHAR_DEV_SOURCE, VQCHAR_F_EVENT_IDX,
				      16, 8));
	for (i = 0; i < 16; i++)
		vq_drv_desc_write(&q.r, i, i * 8, 8, VQ_DESC_F_WRITE, 0);
	/* Ask for a call only once used idx passes 10 (of 16 chains). */
	q.no_rearm = true;
	WRITE_ONCE(*q.r.used_event, cpu_to_le16(10));
	smp_mb();
	for (i = 0; i < 8; i++)
		vq_drv_avail_fill(&q.r, q.avail_idx++, i);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	deadline = vqt_now_ms() + VQT_TIMEOUT_MS;
	while (vq_drv_used_pending(&q.r, 0) < 8 && vqt_now_ms() < deadline)
		vqt_sleep_ms(2);
	ASSERT_EQ(8, vq_drv_used_pending(&q.r, 0));
	/* 0 -> 8 does not pass 10: no call. */
	EXPECT_FALSE(vqt_readable(q.call, 100));
	for (i = 8; i < 16; i++)
		vq_drv_avail_fill(&q.r, q.avail_idx++, i);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	/* 8 -> 16 passes 10: a call. */
	EXPECT_LT(0, vqt_wait_eventfd(q.call, VQT_TIMEOUT_MS));
	EXPECT_EQ(16, vq_drv_used_pending(&q.r, 0));
	vqt_queue_destroy(&q);
}

/* Run one chain already written at head 0 on @q; returns used.len. */
static uint32_t one_chain_len(struct __test_metadata *_metadata, struct vqt_queue *q)
{
	uint32_t id, len;

	vq_drv_avail_fill(&q->r, q->avail_idx++, 0);
	ASSERT_EQ(0, vqt_publish_kick(q));
	ASSERT_EQ(1, vqt_wait_used(q, 1));
	vq_drv_used_read(&q->r, q->last_used++, &id, &len);
	EXPECT_EQ(0, id);
	return len;
}

TEST_F(vq, loopback_writable_shorter)
{
	struct vqt_queue q;
	uint32_t i;

	/* 100 readable bytes, 60 writable: the device writes what fits. */
	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 4, VQCHAR_DEV_LOOPBACK, 0, 2, 128));
	for (i = 0; i < 100; i++)
		q.pool[i] = (uint8_t)(i + 1);
	memset(q.pool + 128, 0xcc, 128);
	vq_drv_desc_write(&q.r, 0, 0, 100, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&q.r, 1, 128, 60, VQ_DESC_F_WRITE, 0);
	EXPECT_EQ(60, one_chain_len(_metadata, &q));
	for (i = 0; i < 60; i++)
		ASSERT_EQ((uint8_t)(i + 1), q.pool[128 + i]);
	EXPECT_EQ(0xcc, q.pool[128 + 60]);
	vqt_queue_destroy(&q);
}

TEST_F(vq, loopback_readable_only)
{
	struct vqt_queue q;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 4, VQCHAR_DEV_LOOPBACK, 0, 1, 64));
	vq_drv_desc_write(&q.r, 0, 0, 64, 0, 0);
	EXPECT_EQ(0, one_chain_len(_metadata, &q));
	vqt_queue_destroy(&q);
}

TEST_F(vq, sink_leaves_writable_alone)
{
	struct vqchar_queue_stats s;
	struct vqt_queue q;

	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 4, VQCHAR_DEV_SINK, 0, 2, 64));
	memset(q.pool + 64, 0xcc, 64);
	vq_drv_desc_write(&q.r, 0, 0, 10, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&q.r, 1, 64, 20, VQ_DESC_F_WRITE, 0);
	EXPECT_EQ(0, one_chain_len(_metadata, &q));
	EXPECT_EQ(0xcc, q.pool[64]);
	EXPECT_EQ(0xcc, q.pool[64 + 19]);
	stats_settled(self->fd, q.id, 1, &s);
	EXPECT_EQ(10, s.bytes_read);
	EXPECT_EQ(0, s.bytes_written);
	vqt_queue_destroy(&q);
}

TEST_F(vq, zero_length_segments)
{
	struct vqt_queue q;

	/* Empty segments are legal and move nothing. */
	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 4, VQCHAR_DEV_LOOPBACK, 0, 2, 64));
	q.pool[0] = 0x11;
	vq_drv_desc_write(&q.r, 0, 0, 0, VQ_DESC_F_NEXT, 1);
	vq_drv_desc_write(&q.r, 1, 0, 1, VQ_DESC_F_NEXT, 2);
	vq_drv_desc_write(&q.r, 2, 64, 0, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 3);
	vq_drv_desc_write(&q.r, 3, 65, 8, VQ_DESC_F_WRITE, 0);
	EXPECT_EQ(1, one_chain_len(_metadata, &q));
	EXPECT_EQ(0x11, q.pool[65]);
	vqt_queue_destroy(&q);
}

TEST_F(vq, chain_ending_at_pool_end)
{
	struct vqt_queue q;
	uint64_t pool_bytes = 3 * 100;

	/* The last byte of buf_count * buf_size is addressable. */
	ASSERT_EQ(0, vqt_queue_create(self->fd, &q, 2, VQCHAR_DEV_SOURCE, 0, 3, 100));
	vq_drv_desc_write(&q.r, 0, pool_bytes - 10, 10, VQ_DESC_F_WRITE, 0);
	EXPECT_EQ(10, one_chain_len(_metadata, &q));
	EXPECT_EQ(VQCHAR_SOURCE_BYTE(0, 9), q.pool[pool_bytes - 1]);
	vqt_queue_destroy(&q);
}

TEST_F(vq, kick_and_call_same_eventfd)
{
	struct vqchar_queue_create c;
	struct vqt_queue q;
	uint32_t i, id, len;
	int efd = vqt_eventfd();

	/* The call signal wakes the kick hook too: harmless extra runs, no loop. */
	ASSERT_LE(0, efd);
	vqt_create_args(&c, 8, VQCHAR_DEV_SOURCE, 0, 8, 16, efd, efd, efd);
	ASSERT_EQ(0, vqt_ioctl(self->fd, VQCHAR_IOC_CREATE_QUEUE, &c));
	memset(&q, 0, sizeof(q));
	q.fd = self->fd;
	q.cr = c;
	q.id = c.queue_id;
	q.num = 8;
	q.kick = efd;
	q.call = q.err = -1;
	ASSERT_EQ(0, vqt_queue_map(&q));
	for (i = 0; i < 8; i++)
		vq_drv_desc_write(&q.r, i, i * 16, 16, VQ_DESC_F_WRITE, 0);
	for (i = 0; i < 100; i++) {
		vq_drv_avail_fill(&q.r, q.avail_idx++, i % 8);
		ASSERT_EQ(0, vqt_publish_kick(&q));
		ASSERT_EQ(1, vqt_wait_used(&q, 1));
		vq_drv_used_read(&q.r, q.last_used++, &id, &len);
		ASSERT_EQ(16, len);
	}
	vqt_queue_destroy(&q);
	close(efd);
}

/* Indirect tables carry the data path too. */
TEST_F(vq, loopback_indirect)
{
	const uint32_t num = 8, bsz = 256;
	struct vqt_queue q;
	struct vq_desc *tbl;
	uint32_t id, len, i;
	int fd = self->fd;
	ASSERT_EQ(0, vqt_queue_create(fd, &q, num, VQCHAR_DEV_LOOPBACK,
				      VQCHAR_F_INDIRECT_DESC, 8, bsz));
	/* Buffer 0 holds a 4-entry table: 2 readable (100 + 50), 2 writable. */
	tbl = (struct vq_desc *)q.pool;
	tbl[0] = (struct vq_desc){ cpu_to_le64(1 * bsz), cpu_to_le32(100),
				   cpu_to_le16(VQ_DESC_F_NEXT), cpu_to_le16(1) };
	tbl[1] = (struct vq_desc){ cpu_to_le64(2 * bsz), cpu_to_le32(50),
				   cpu_to_le16(VQ_DESC_F_NEXT), cpu_to_le16(2) };
	tbl[2] = (struct vq_desc){ cpu_to_le64(3 * bsz), cpu_to_le32(120),
				   cpu_to_le16(VQ_DESC_F_NEXT | VQ_DESC_F_WRITE), cpu_to_le16(3) };
	tbl[3] = (struct vq_desc){ cpu_to_le64(4 * bsz), cpu_to_le32(bsz),
				   cpu_to_le16(VQ_DESC_F_WRITE), 0 };
	for (i = 0; i < 100; i++)
		q.pool[1 * bsz + i] = (uint8_t)i;
	for (i = 0; i < 50; i++)
		q.pool[2 * bsz + i] = (uint8_t)(100 + i);
	vq_drv_desc_write(&q.r, 5, 0, 4 * sizeof(struct vq_desc), VQ_DESC_F_INDIRECT, 0);
	vq_drv_avail_fill(&q.r, q.avail_idx++, 5);
	ASSERT_EQ(0, vqt_publish_kick(&q));
	ASSERT_EQ(1, vqt_wait_used(&q, 1));
	vq_drv_used_read(&q.r, 0, &id, &len);
	EXPECT_EQ(5, id);
	EXPECT_EQ(150, len);
	for (i = 0; i < 120; i++)
		ASSERT_EQ((uint8_t)i, q.pool[3 * bsz + i]);
	for (i = 120; i < 150; i++)
		ASSERT_EQ((uint8_t)i, q.pool[4 * bsz + i - 120]);
	vqt_queue_destroy(&q);
}

/* Several queues of one file run independently; one's kick is not another's. */
TEST_F(vq, queues_independent)
{
	struct vqt_queue a, b;
	uint32_t id, len;
	int fd = self->fd;
	ASSERT_EQ(0, vqt_queue_create(fd, &a, 4, VQCHAR_DEV_SOURCE, 0, 4, 8));
	ASSERT_EQ(0, vqt_queue_create(fd, &b, 4, VQCHAR_DEV_SOURCE, 0, 4, 8));
	vq_drv_desc_write(&a.r, 0, 0, 8, VQ_DESC_F_WRITE, 0);
	vq_drv_desc_write(&b.r, 0, 0, 8, VQ_DESC_F_WRITE, 0);
	vq_drv_avail_fill(&a.r, a.avail_idx++, 0);
	vq_drv_avail_fill(&b.r, b.avail_idx++, 0);
	vq_drv_avail_publish(&a.r, a.avail_idx);
	vq_drv_avail_publish(&b.r, b.avail_idx);
	ASSERT_EQ(0, vqt_signal(b.kick));
	ASSERT_EQ(1, vqt_wait_used(&b, 1));
	vqt_sleep_ms(100);
	EXPECT_EQ(0, vq_drv_used_pending(&a.r, 0));
	ASSERT_EQ(0, vqt_signal(a.kick));
	ASSERT_EQ(1, vqt_wait_used(&a, 1));
	vq_drv_used_read(&a.r, 0, &id, &len);
	EXPECT_EQ(8, len);
	/* Each queue's source counts its own chains from 0. */
	EXPECT_EQ(VQCHAR_SOURCE_BYTE(0, 3), a.pool[3]);
	EXPECT_EQ(VQCHAR_SOURCE_BYTE(0, 3), b.pool[3]);
	vqt_queue_destroy(&a);
	vqt_queue_destroy(&b);
}

TEST_HARNESS_MAIN
