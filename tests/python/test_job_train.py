"""Unit tests of the job template (resources/job/train.py, safetensors_io.py).

The expected numbers come from the engine itself (src/main/engine/rng.ts, dataset/sampler.ts,
session/schedule.ts, checkpoints/format.ts's headerChecksum), printed once with tsx: the job must
draw the same numbers as the studio. Run with `python3 -m unittest discover -s tests/python`
(tests/unit/main/engine/interchange/job/python-tests.test.ts runs them under `npm test`).
"""
import io
import json
import math
import os
import shutil
import sys
import tempfile
import unittest
from contextlib import redirect_stderr

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "resources", "job"))

import torch  # noqa: E402

import safetensors_io as st  # noqa: E402
import train  # noqa: E402


class EngineGenerator(unittest.TestCase):
    def test_same_numbers_as_rng_ts(self):
        r = train.Rng.seeded(42)
        self.assertEqual([r.next_uint32(), r.next_uint32(), r.next_uint32(), r.next_int(1000), r.next_int(7)],
                         [4080670159, 3683031073, 1655188561, 657, 4])
        r = train.Rng.seeded(-5, 3, 0xE90C)
        self.assertEqual([r.next_uint32(), r.next_uint32()], [2003523693, 2168109649])
        self.assertEqual(train.Rng.seeded(2**40 + 7).next_uint32(), 3105018655)


class EngineSampler(unittest.TestCase):
    def test_same_batches_as_sampler_ts_across_epochs(self):
        s = train.Sampler(100, 1000, 16, 5, 7)
        got = [s.next_starts() for _ in range(14)]
        self.assertEqual(got, [[839, 631, 487, 679, 775], [871, 231, 855, 247, 935], [951, 183, 199, 919, 103],
                               [423, 695, 375, 711, 391], [359, 647, 519, 551, 903], [983, 823, 279, 439, 615],
                               [583, 759, 343, 295, 535], [311, 263, 727, 407, 967], [151, 119, 135, 791, 455],
                               [567, 887, 599, 215, 743], [471, 663, 167, 807, 503], [327, 295, 391, 359, 695],
                               [631, 423, 967, 567, 791], [247, 727, 519, 455, 759]])
        self.assertEqual(s.state()["drawn"], 70)

    def test_a_restored_sampler_continues_the_sequence(self):
        whole = train.Sampler(100, 1000, 16, 5, 7)
        for _ in range(9):
            whole.next_starts()
        resumed = train.Sampler(100, 1000, 16, 5, 7, drawn=whole.drawn)
        self.assertEqual([resumed.next_starts() for _ in range(5)], [whole.next_starts() for _ in range(5)])

    def test_validation_windows(self):
        self.assertEqual(train.validation_starts(1000, 2000, 16, 64), [1000 + 16 * i for i in range(62)])
        self.assertEqual(train.validation_starts(5, 60, 16, 64), [5, 21, 37])
        self.assertEqual(train.validation_starts(0, 10, 16, 64), [])


class EngineSchedule(unittest.TestCase):
    def test_warmup_cosine_and_hold(self):
        s = {"peak": 1e-3, "warmup": 5, "totalSteps": 50}
        got = [train.learning_rate(s, step) for step in (0, 4, 5, 20, 49, 60)]
        for a, b in zip(got, [0.0002, 0.001, 0.001, 0.0007656620440240256, 0.0001, 0.0001]):
            self.assertAlmostEqual(a, b, places=15)
        self.assertEqual(train.learning_rate(dict(s, hold={"from": 50, "rate": 2e-4}), 55), 2e-4)

    def test_extending_a_finished_run_holds_its_last_rate(self):
        base = {"peak": 1e-3, "warmup": 5, "totalSteps": 80}
        stored = {"schedule": {"peak": 1e-3, "warmup": 5, "totalSteps": 50}}
        got = train.schedule_for(base, stored, 50, "checkpoint_step_50.safetensors")
        self.assertEqual(got["hold"], {"from": 50, "rate": train.learning_rate(stored["schedule"], 49)})
        self.assertNotIn("hold", train.schedule_for(base, stored, 20, "x.safetensors"))


class CheckpointFile(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def fields(self, step=3):
        return {"config": {"model": {"vocabSize": 4, "seqLen": 2, "dModel": 2, "nLayers": 0, "nHeads": 1}},
                "tokenizer_kind": "bpe", "tokenizer": '{"é": "\\n"}', "step": step, "epoch": 0.5,
                "sampler": {"drawn": 3}, "rng": {"seed": 1}, "losses": {"train": 1.5, "val": None},
                "created": "2026-01-01T00:00:00.000Z", "corpus_fingerprint": "abc"}

    def test_header_checksum_is_javascripts(self):
        header = {"__metadata__": {"format": "x", "tokenizer": '{"a":"é\\n\u0001"}', "header_checksum": "zz"},
                  "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
        self.assertEqual(st.header_checksum(header), "a96a2cf8028fc09b3fddae624fce7358e3eb23b9f147fb23e60485a8bc91b037")

    def test_round_trip_and_verification(self):
        path = os.path.join(self.dir, "c.safetensors")
        w = torch.arange(8, dtype=torch.float32).view(4, 2) / 3
        st.save_checkpoint(path, [("wte.weight", w), ("b", torch.tensor([1.0, -2.0]))], self.fields())
        meta, tensors = st.load_checkpoint(path)
        self.assertTrue(torch.equal(tensors["wte.weight"], w))
        self.assertEqual((meta["step"], meta["optimizer_step"], meta["epoch"]), ("3", "3", "0.5"))
        self.assertEqual(json.loads(meta["losses"]), {"train": 1.5, "val": None})
        self.assertEqual(os.listdir(self.dir), ["c.safetensors"])
        with open(path, "r+b") as f:
            f.seek(-3, os.SEEK_END)
            byte = f.read(1)[0]
            f.seek(-3, os.SEEK_END)
            f.write(bytes([byte ^ 1]))
        with self.assertRaisesRegex(st.CheckpointError, "checksum"):
            st.load_checkpoint(path)

    def test_a_torn_file_is_refused_and_the_old_one_survives_a_failed_write(self):
        path = os.path.join(self.dir, "c.safetensors")
        st.save_checkpoint(path, [("w", torch.ones(4))], self.fields())

        def fail(_temp):
            raise KeyboardInterrupt()
        with self.assertRaises(KeyboardInterrupt):
            st.save_checkpoint(path, [("w", torch.zeros(4)), ("v", torch.zeros(4))], self.fields(), hold=fail)
        self.assertEqual(os.listdir(self.dir), ["c.safetensors"])
        self.assertTrue(torch.equal(st.load_checkpoint(path)[1]["w"], torch.ones(4)))
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) - 4)
        with self.assertRaisesRegex(st.CheckpointError, "truncated"):
            st.load_checkpoint(path)

    def test_resume_from_a_folder_takes_the_newest_intact_checkpoint(self):
        for step in (10, 20):
            st.save_checkpoint(os.path.join(self.dir, f"checkpoint_step_{step}.safetensors"), [("w", torch.ones(2))], self.fields(step))
        with open(os.path.join(self.dir, "checkpoint_step_30.safetensors"), "wb") as f:
            f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
        self.assertTrue(train.latest_intact_checkpoint(self.dir).endswith("checkpoint_step_20.safetensors"))

    def test_retention_keeps_the_newest_and_the_best(self):
        for step, val in ((10, 1.0), (20, 3.0), (30, 2.5), (40, 2.0)):
            fields = self.fields(step)
            fields["losses"] = {"train": 1.0, "val": val}
            st.save_checkpoint(os.path.join(self.dir, f"checkpoint_step_{step}.safetensors"), [("w", torch.ones(2))], fields)
        train.apply_retention(self.dir, 2)
        self.assertEqual(sorted(os.listdir(self.dir)), ["checkpoint_step_10.safetensors", "checkpoint_step_30.safetensors", "checkpoint_step_40.safetensors"])


class Tokens(unittest.TestCase):
    def test_little_endian_ids_above_the_signed_range_and_a_damaged_copy(self):
        import hashlib
        import struct
        folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, folder, True)
        ids = [0, 1, 32767, 32768, 65535]
        for dtype, fmt, more in (("uint16", "<5H", []), ("uint32", "<6I", [4294967295])):
            data = struct.pack(fmt, *(ids + more))
            with open(os.path.join(folder, dtype), "wb") as f:
                f.write(data)
            part = {"file": dtype, "count": len(ids + more), "sha256": hashlib.sha256(data).hexdigest()}
            self.assertEqual(train.load_tokens(folder, part, dtype).tolist(), ids + more)
        part["sha256"] = "0" * 64
        err = io.StringIO()
        with redirect_stderr(err), self.assertRaises(SystemExit):
            train.load_tokens(folder, part, "uint32")
        self.assertIn("does not match its SHA-256", err.getvalue())


class Model(unittest.TestCase):
    cfg = {"vocabSize": 11, "seqLen": 6, "dModel": 8, "nLayers": 2, "nHeads": 2}

    def test_parameters_have_the_studio_names_in_layout_order(self):
        model = train.GPT(self.cfg)
        self.assertEqual([n for n, _ in model.named_parameters()], train.param_names(self.cfg))
        self.assertEqual(tuple(dict(model.named_parameters())["h.1.mlp.c_fc.weight"].shape), (8, 32))

    def test_attention_is_causal_and_the_loss_a_sum(self):
        torch.manual_seed(0)
        model = train.GPT(self.cfg)
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0, 0.3)
        x = torch.tensor([[1, 2, 3, 4, 5, 6]])
        y = torch.tensor([[2, 3, 4, 5, 6, 7]])
        changed = x.clone()
        changed[0, 5] = 9
        first = [float(model(x[:, :k], y[:, :k])) for k in range(1, 6)]
        self.assertEqual(first, [float(model(changed[:, :k], y[:, :k])) for k in range(1, 6)])
        both = float(model(torch.cat([x, changed]), torch.cat([y, y])))
        self.assertAlmostEqual(both, float(model(x, y)) + float(model(changed, y)), places=4)



def load_llama_reference():
    """bench/llama_torch.py: the independent PyTorch Llama the engine's own Llama is tested against."""
    import importlib.util
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "llama_torch.py")
    spec = importlib.util.spec_from_file_location("llama_torch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LlamaModel(unittest.TestCase):
    base = {"architecture": "llama", "vocabSize": 13, "seqLen": 7, "dModel": 16, "nLayers": 2, "nHeads": 4}
    # GQA with an untied head; and Qwen2's shape: q/k/v biases, one key/value head, its ε and θ.
    variants = {
        "gqa-untied": dict(base, nKvHeads=2, ffnDim=24, normEps=1e-5, ropeTheta=10000, tiedEmbeddings=False, qkvBias=False),
        "qwen2-bias": dict(base, nKvHeads=1, ffnDim=20, normEps=1e-6, ropeTheta=1000000, tiedEmbeddings=True, qkvBias=True),
    }

    def test_tensor_names_and_shapes_are_the_engines_layout(self):
        cfg = dict(self.base, nLayers=1, nKvHeads=2, ffnDim=24, tiedEmbeddings=False, qkvBias=True)
        p = "model.layers.0."
        self.assertEqual(train.model_param_names(cfg), [
            "model.embed_tokens.weight", p + "input_layernorm.weight", p + "self_attn.q_proj.weight",
            p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight", p + "self_attn.q_proj.bias",
            p + "self_attn.k_proj.bias", p + "self_attn.v_proj.bias", p + "self_attn.o_proj.weight",
            p + "post_attention_layernorm.weight", p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight",
            p + "mlp.down_proj.weight", "model.norm.weight", "lm_head.weight"])
        own = dict(train.build_model(cfg).named_parameters())
        self.assertEqual(set(own), set(train.model_param_names(cfg)))
        self.assertEqual(tuple(own[p + "self_attn.k_proj.weight"].shape), (8, 16))  # [out, in]: 2 heads of 4
        self.assertEqual(tuple(own[p + "mlp.down_proj.weight"].shape), (16, 24))
        tied = dict(cfg, tiedEmbeddings=True, qkvBias=False)
        self.assertEqual(set(dict(train.build_model(tied).named_parameters())), set(train.model_param_names(tied)))
        self.assertNotIn("lm_head.weight", train.model_param_names(tied))
        self.assertNotIn(p + "self_attn.q_proj.bias", train.model_param_names(tied))
        # What a config leaves out is the engine's default (llama.ts LLAMA_DEFAULTS, defaultFfnDim).
        self.assertEqual(train.llama_shape(dict(self.base, dModel=576, nHeads=9)),
                         {"C": 576, "NH": 9, "KV": 9, "hs": 64, "I": 1536, "eps": 1e-5, "theta": 10000.0, "tied": True, "bias": False})
        self.assertEqual(train.llama_shape(dict(self.base, dModel=32))["I"], 88)

    def test_an_unknown_architecture_is_refused_in_one_line(self):
        err = io.StringIO()
        with redirect_stderr(err), self.assertRaises(SystemExit):
            train.build_model(dict(self.base, architecture="mamba"))
        self.assertEqual(len(err.getvalue().strip().splitlines()), 1)
        self.assertIn("not 'mamba'", err.getvalue())

    def test_rotary_table_is_the_engines_bit_for_bit(self):
        # ropeTable(6, 8, 1e6) of src/main/engine/model/architectures/llama.ts, printed with tsx.
        engine = [1, 1, 1, 1, 0, 0, 0, 0, 0.5403022766113281, 0.999500036239624, 0.9999995231628418, 1,
                  0.8414709568023682, 0.031617507338523865, 0.0009999999310821295, 0.00003162277425872162,
                  -0.416146844625473, 0.9980006814002991, 0.9999979734420776, 1, 0.9092974066734314, 0.06320340186357498,
                  0.0019999986980110407, 0.00006324554851744324, -0.9899924993515015, 0.9955033659934998,
                  0.9999955296516418, 1, 0.14112000167369843, 0.0947260931134224, 0.0029999956022948027,
                  0.00009486832277616486, -0.6536436080932617, 0.9920106530189514, 0.9999920129776001, 1,
                  -0.756802499294281, 0.1261540800333023, 0.003999989479780197, 0.00012649109703488648,
                  0.28366219997406006, 0.987525999546051, 0.9999874830245972, 1, -0.9589242935180664, 0.1574559062719345,
                  0.0049999793991446495, 0.00015811386401765049]
        cos, sin = train.rope_table(6, 8, 1e6)
        self.assertTrue(torch.equal(cos[:, :4], cos[:, 4:]) and torch.equal(sin[:, :4], sin[:, 4:]))
        self.assertEqual(torch.cat([cos[:, :4], sin[:, :4]], 1).flatten().tolist(), engine)

    def test_loss_and_gradients_match_the_independent_reference(self):
        reference = load_llama_reference()
        for label, cfg in self.variants.items():
            with self.subTest(label):
                torch.manual_seed(1)
                model = train.build_model(cfg)
                with torch.no_grad():
                    for _, p in model.named_parameters():
                        p.normal_(0, 0.3)
                ref = reference.Llama(cfg)
                ours = dict(model.named_parameters())
                theirs = dict(ref.named_parameters())
                self.assertEqual(set(ours), set(theirs))
                with torch.no_grad():
                    for name, p in theirs.items():
                        p.copy_(ours[name])
                idx = torch.randint(0, cfg["vocabSize"], (3, cfg["seqLen"] + 1), generator=torch.Generator().manual_seed(2))
                x, y = idx[:, :-1], idx[:, 1:]
                (model(x, y) / y.numel()).backward()
                mean = ref(x, y)
                mean.backward()
                self.assertAlmostEqual(float(model(x, y)) / y.numel(), float(mean), places=5)
                worst = max(float((ours[n].grad - theirs[n].grad).abs().max()) for n in ours)
                self.assertLess(worst, 1e-5)

    def test_attention_is_causal_and_the_loss_a_sum(self):
        for label, cfg in self.variants.items():
            with self.subTest(label):
                torch.manual_seed(0)
                model = train.build_model(cfg)
                with torch.no_grad():
                    for p in model.parameters():
                        p.normal_(0, 0.3)
                x = torch.tensor([[1, 2, 3, 4, 5, 6, 7]])
                y = torch.tensor([[2, 3, 4, 5, 6, 7, 8]])
                changed = x.clone()
                changed[0, 6] = 11
                first = [float(model(x[:, :k], y[:, :k])) for k in range(1, 7)]
                self.assertEqual(first, [float(model(changed[:, :k], y[:, :k])) for k in range(1, 7)])
                both = float(model(torch.cat([x, changed]), torch.cat([y, y])))
                self.assertAlmostEqual(both, float(model(x, y)) + float(model(changed, y)), places=4)

class WorldSize(unittest.TestCase):
    def test_ranks_share_the_batch_and_accumulate(self):
        self.assertEqual(train.plan_batches(8, 2, None), (4, [(0, 4)]))
        self.assertEqual(train.plan_batches(8, 2, 3), (4, [(0, 3), (3, 4)]))

    def test_a_world_size_that_does_not_divide_the_batch_is_refused(self):
        err = io.StringIO()
        with redirect_stderr(err), self.assertRaises(SystemExit) as stop:
            train.plan_batches(4, 3, None)
        self.assertEqual(stop.exception.code, 2)
        line = err.getvalue().strip()
        self.assertEqual(len(line.splitlines()), 1)
        self.assertIn("cannot be split evenly over 3 processes", line)
        self.assertIn("1, 2, 4", line)


if __name__ == "__main__":
    unittest.main()
